/**
 * `npm run train -- --data <recording[,…] | dir | s3://<bronze bucket> | postgres://… | pglite:<dir>> [--model-dir <dir>] [--hp '<json>']`
 * (a bronze bucket or its copy: the served vectors, or on a cold start its market data replayed).
 * Trains, scores against the baselines on the held-out span, writes `models/<version>/` to the model
 * store (MODELS_BUCKET, else --model-dir / MODEL_STORE_DIR / .models) and promotes only a winner.
 * A progress bar on stderr when it is a terminal; the metrics JSON on stdout.
 */
import { runTrainingCli } from '../containers/trainer/run-training.ts';
import { exitWithFailure } from '../local/cli-errors.ts';

const tty = process.stderr.isTTY;
const bar = (epoch: number, max: number, width = 30) => {
  const done = Math.round((epoch / max) * width);
  return `[${'#'.repeat(done)}${'.'.repeat(width - done)}]`;
};

const result = await runTrainingCli({
  argv: process.argv.slice(2),
  env: process.env,
  now: () => new Date(),
  log: (message, fields) => {
    if (tty) process.stderr.write('\n');
    console.error(`[train] ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
  },
  ...(tty
    ? {
        onEpoch: (p) =>
          process.stderr.write(
            `\r${bar(p.epoch, p.maxEpochs)} epoch ${p.epoch}/${p.maxEpochs} train ${p.trainLoss.toFixed(3)} val ${p.validationLoss.toFixed(3)} bp² (best ${p.bestEpoch})`,
          ),
      }
    : {}),
}).catch((error: unknown) => exitWithFailure('npm run train', error));
process.stdout.write(`${JSON.stringify(result.metrics)}\n`);
