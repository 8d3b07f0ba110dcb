/**
 * The training job: rows → walk-forward split (purged) → fit → score the model and every baseline on
 * the same held-out rows → re-score the champion on those rows → write `models/<version>/` → promote
 * to `models/current` only if the candidate beats both the random walk and the champion there.
 * Time comes in as an argument (`createdAt`); storage through the ModelStore port.
 */
import { FEATURE_NAMES } from '../../core/features/feature-names.ts';
import { ModelArtifactError } from '../../core/model/artifact.ts';
import { completeRows, type Dataset, type LabelledRow } from '../../core/model/dataset.ts';
import {
  baselineForecasts,
  type HeldOutReport,
  heldOutReport,
  regimeThreshold,
} from '../../core/model/evaluation.ts';
import type { ModelStore } from '../../core/model/model-store.ts';
import { Predictor } from '../../core/model/predictor.ts';
import { decidePromotion, type PromotionDecision, type PromotionInput } from '../../core/model/promotion.ts';
import { walkForwardSplit } from '../../core/model/split.ts';
import { assembleArtifact, fitForecasts, fitSegment, modelVersion } from './fit.ts';
import type { Hyperparameters } from './hyperparameters.ts';
import type { EpochProgress } from './mlp.ts';

export interface TrainJobDeps {
  store: ModelStore;
  /** ISO-8601 time of the run (the caller's clock). */
  createdAt: string;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  onEpoch?: (p: EpochProgress) => void;
}

export interface TrainingMetrics {
  version: string;
  source: string;
  featureVersion: number;
  rows: { total: number; droppedIncomplete: number; train: number; validation: number; test: number };
  spans: Record<'train' | 'validation' | 'test', { fromUs: number; toUs: number }>;
  purgeUs: number;
  mlp: { bestEpoch: number; epochs: number; bestValidationLossBp2: number };
  ridgeLambda: number;
  heldOut: HeldOutReport;
  promotion: PromotionDecision;
  hyperparameters: Hyperparameters;
}

export interface TrainJobResult {
  version: string;
  promoted: boolean;
  metrics: TrainingMetrics;
}

export class NotEnoughDataError extends Error {
  override readonly name = 'NotEnoughDataError';
}

const span = (rows: readonly LabelledRow[]) => ({
  fromUs: (rows[0] as LabelledRow).eventTimeUs,
  toUs: (rows[rows.length - 1] as LabelledRow).eventTimeUs,
});

export async function runTrainJob(
  dataset: Dataset,
  hp: Hyperparameters,
  deps: TrainJobDeps,
): Promise<TrainJobResult> {
  const log = deps.log ?? (() => {});
  const { rows, dropped } = completeRows(dataset.rows);
  if (rows.length < 20)
    throw new NotEnoughDataError(
      `Only ${rows.length} complete labelled rows (${dropped} incomplete): nothing to train on.`,
    );
  const split = walkForwardSplit(
    rows.map((r) => r.eventTimeUs),
    {
      horizonUs: dataset.horizonUs,
      purgeUs: hp.purgeUs,
      trainFraction: hp.trainFraction,
      validationFraction: hp.validationFraction,
    },
  );
  const pick = (idx: number[]) => idx.map((i) => rows[i] as LabelledRow);
  const train = pick(split.train);
  const validation = pick(split.validation);
  const test = pick(split.test);
  log('split', { train: train.length, validation: validation.length, test: test.length, dropped });

  const fit = await fitSegment(train, validation, hp, deps.onEpoch);
  const version = modelVersion(deps.createdAt, fit.mlp.layers, fit.normalisation);
  const { model, ridge } = fitForecasts(fit, test);
  const forecasts: Record<string, number[]> = { model, ...baselineForecasts(test), ridge };

  // The champion, re-scored on the same held-out rows.
  let champion: PromotionInput['champion'];
  const currentJson = await deps.store.getCurrent();
  if (currentJson !== undefined) {
    const currentVersion = String((currentJson as { version?: unknown }).version ?? 'unknown');
    try {
      const current = Predictor.fromArtifact(currentJson);
      forecasts.champion = test.map((r) => current.predict(r.x).logReturn);
    } catch (error) {
      if (!(error instanceof ModelArtifactError)) throw error;
      champion = { version: currentVersion, incompatible: error.message };
    }
    champion ??= { version: currentVersion, rmseBp: Number.NaN };
  }
  const report = heldOutReport(test, forecasts, regimeThreshold(train));
  if (champion && 'rmseBp' in champion) champion.rmseBp = report.scores.champion?.all.rmseBp as number;
  const promotion = decidePromotion({
    n: report.n,
    candidateRmseBp: report.scores.model?.all.rmseBp as number,
    randomWalkRmseBp: report.scores.randomWalk?.all.rmseBp as number,
    ...(champion ? { champion } : {}),
    minRows: hp.minHeldOutRows,
  });

  const metrics: TrainingMetrics = {
    version,
    source: dataset.source,
    featureVersion: dataset.featureVersion,
    rows: {
      total: dataset.rows.length,
      droppedIncomplete: dropped,
      train: train.length,
      validation: validation.length,
      test: test.length,
    },
    spans: { train: span(train), validation: span(validation), test: span(test) },
    purgeUs: hp.purgeUs,
    mlp: {
      bestEpoch: fit.mlp.bestEpoch,
      epochs: fit.mlp.epochs,
      bestValidationLossBp2: fit.mlp.bestValidationLossBp2,
    },
    ridgeLambda: fit.ridge.lambda,
    heldOut: report,
    promotion,
    hyperparameters: hp,
  };
  const artifact = assembleArtifact(
    fit.mlp.layers,
    fit.normalisation,
    version,
    deps.createdAt,
    {
      source: dataset.source,
      rows: metrics.rows,
      spans: metrics.spans,
      purgeUs: hp.purgeUs,
      hyperparameters: hp,
      bestEpoch: fit.mlp.bestEpoch,
      inputs: FEATURE_NAMES.length,
    },
    {
      n: report.n,
      rmseBp: report.scores.model?.all.rmseBp,
      rmseRatioVsRandomWalk: report.scores.model?.all.rmseRatioVsRandomWalk,
      corr: report.scores.model?.all.corr,
      hitRate: report.scores.model?.all.hitRate,
      promoted: promotion.promote,
    },
  );
  fit.mlp.model.dispose();
  await deps.store.putVersion(artifact, metrics);
  if (promotion.promote) await deps.store.promote(version);
  log(promotion.promote ? 'promoted' : 'not promoted', { version, reasons: promotion.reasons });
  return { version, promoted: promotion.promote, metrics };
}
