/**
 * Trains the MLP with tfjs (WASM backend) on standardised features and labels in bp, with a seeded
 * shuffle, L2 and dropout, and early stopping on the validation loss (the best epoch's weights are
 * kept). Returns the weights in the artifact's layer format (artifact.ts) and the tfjs model, so tests
 * can check the TypeScript predictor against tfjs.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { Activation, DenseLayer } from '../../core/model/artifact.ts';
import { Rng } from '../../core/random/rng.ts';
import type { Hyperparameters } from './hyperparameters.ts';
import { initTfjsWasm } from './tfjs-wasm.ts';

const BP = 1e4;

export interface MlpData {
  /** Row-major n × d standardised features. */
  z: Float64Array;
  /** Log returns. */
  labels: ArrayLike<number>;
}

export interface EpochProgress {
  epoch: number;
  maxEpochs: number;
  trainLoss: number;
  validationLoss: number;
  bestEpoch: number;
}

export interface MlpResult {
  layers: DenseLayer[];
  model: tfType.LayersModel;
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  epochs: number;
  /** Validation MSE in bp² at the best epoch. */
  bestValidationLossBp2: number;
  history: { trainLoss: number; validationLoss: number }[];
}

export async function trainMlp(
  d: number,
  train: MlpData,
  validation: MlpData,
  hp: Hyperparameters,
  onEpoch?: (p: EpochProgress) => void,
): Promise<MlpResult> {
  const tf = await initTfjsWasm();
  const n = train.labels.length;
  const model = tf.sequential();
  hp.hiddenUnits.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: hp.activation,
        ...(i === 0 ? { inputShape: [d] } : {}),
        kernelInitializer: tf.initializers.glorotUniform({ seed: hp.seed + i }),
        biasInitializer: 'zeros',
        kernelRegularizer: hp.l2 > 0 ? tf.regularizers.l2({ l2: hp.l2 }) : undefined,
      }),
    );
    if (hp.dropout > 0) model.add(tf.layers.dropout({ rate: hp.dropout, seed: hp.seed + 100 + i }));
  });
  model.add(
    tf.layers.dense({
      units: 1,
      activation: 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: hp.seed + 99 }),
    }),
  );
  model.compile({ optimizer: tf.train.adam(hp.learningRate), loss: 'meanSquaredError' });

  const xVal = tf.tensor2d(Float32Array.from(validation.z), [validation.labels.length, d]);
  const yVal = tf.tensor2d(
    Float32Array.from(validation.labels, (y) => y * BP),
    [validation.labels.length, 1],
  );
  const yTrainBp = Float32Array.from(train.labels, (y) => y * BP);
  const random = new Rng(hp.seed);
  const order = Array.from({ length: n }, (_, i) => i);
  const history: MlpResult['history'] = [];
  let best = { loss: Number.POSITIVE_INFINITY, epoch: 0, weights: [] as tfType.Tensor[] };
  let epoch = 0;
  try {
    for (epoch = 1; epoch <= hp.maxEpochs; epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = random.int(i + 1);
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      let lossSum = 0;
      for (let start = 0; start < n; start += hp.batchSize) {
        const idx = order.slice(start, start + hp.batchSize);
        const xb = new Float32Array(idx.length * d);
        const yb = new Float32Array(idx.length);
        idx.forEach((r, k) => {
          xb.set(train.z.subarray(r * d, (r + 1) * d), k * d);
          yb[k] = yTrainBp[r] as number;
        });
        const x = tf.tensor2d(xb, [idx.length, d]);
        const y = tf.tensor2d(yb, [idx.length, 1]);
        const loss = (await model.trainOnBatch(x, y)) as number;
        lossSum += loss * idx.length;
        x.dispose();
        y.dispose();
      }
      const valLoss = tf.tidy(() => {
        const p = model.predict(xVal) as tfType.Tensor;
        return tf.losses.meanSquaredError(yVal, p).dataSync()[0] as number;
      });
      history.push({ trainLoss: lossSum / n, validationLoss: valLoss });
      if (valLoss < best.loss) {
        for (const w of best.weights) w.dispose();
        best = { loss: valLoss, epoch, weights: model.getWeights().map((w) => w.clone()) };
      }
      onEpoch?.({
        epoch,
        maxEpochs: hp.maxEpochs,
        trainLoss: lossSum / n,
        validationLoss: valLoss,
        bestEpoch: best.epoch,
      });
      if (epoch - best.epoch >= hp.patience) break;
    }
    model.setWeights(best.weights);
  } finally {
    for (const w of best.weights) w.dispose();
    xVal.dispose();
    yVal.dispose();
  }
  const layers: DenseLayer[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Dense') continue;
    const [kernel, bias] = layer.getWeights();
    const config = layer.getConfig() as { units: number; activation: string };
    layers.push({
      units: config.units,
      activation: config.activation as Activation,
      kernel: Array.from(kernel?.dataSync() ?? []),
      bias: Array.from(bias?.dataSync() ?? []),
    });
  }
  return {
    layers,
    model,
    bestEpoch: best.epoch,
    epochs: Math.min(epoch, hp.maxEpochs),
    bestValidationLossBp2: best.loss,
    history,
  };
}
