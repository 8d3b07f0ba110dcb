/**
 * The training job: rows → walk-forward split (purged) → fit every offline family → score them, the
 * random walk, the online learner and the champion (re-scored) on the same held-out rows → the family
 * with the lowest held-out RMSE is the candidate, written to `models/<version>/` → promoted to
 * `models/current` only if it beats both the random walk and the champion there (ADR 0050, 0085).
 * Time comes in as an argument (`createdAt`); storage through the ModelStore port.
 */
import { FEATURE_NAMES } from '../../core/features/feature-names.ts';
import { ModelArtifactError } from '../../core/model/artifact.ts';
import { completeRows, type Dataset, type LabelledRow } from '../../core/model/dataset.ts';
import { type HeldOutReport, heldOutReport, regimeThreshold } from '../../core/model/evaluation.ts';
import { forecasterFromArtifact, forecastRows } from '../../core/model/forecaster.ts';
import type { ModelStore } from '../../core/model/model-store.ts';
import { decidePromotion, type PromotionDecision, type PromotionInput } from '../../core/model/promotion.ts';
import { walkForwardSplit } from '../../core/model/split.ts';
import {
  assembleArtifact,
  bestFamily,
  familyBody,
  fitForecasts,
  fitSegment,
  modelVersion,
  OFFLINE_FAMILIES,
  type OfflineFamily,
} from './fit.ts';
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
  /** The offline family with the lowest held-out RMSE: the artifact stored under `version`. */
  family: OfflineFamily;
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
  const forecasts = fitForecasts(fit, test, [...train, ...validation]);

  // The champion, re-scored on the same held-out rows, whatever its kind.
  let champion: PromotionInput['champion'];
  const currentJson = await deps.store.getCurrent();
  if (currentJson !== undefined) {
    const currentVersion = String((currentJson as { version?: unknown }).version ?? 'unknown');
    try {
      forecasts.champion = forecastRows(forecasterFromArtifact(currentJson), test);
    } catch (error) {
      if (!(error instanceof ModelArtifactError)) throw error;
      champion = { version: currentVersion, incompatible: error.message };
    }
    champion ??= { version: currentVersion, rmseBp: Number.NaN };
  }
  const report = heldOutReport(test, forecasts, regimeThreshold(train));
  if (champion && 'rmseBp' in champion) champion.rmseBp = report.scores.champion?.all.rmseBp as number;
  // The best offline family on the held-out rows is the candidate (ADR 0085).
  const family = bestFamily(report);
  const body = familyBody(fit, family);
  const version = modelVersion(deps.createdAt, body, fit.normalisation);
  const best = report.scores[family]?.all;
  const promotion = decidePromotion({
    n: report.n,
    candidateRmseBp: best?.rmseBp as number,
    randomWalkRmseBp: report.scores.randomWalk?.all.rmseBp as number,
    ...(champion ? { champion } : {}),
    minRows: hp.minHeldOutRows,
  });
  promotion.reasons.unshift(
    `candidate: ${family}, the lowest held-out RMSE of ${OFFLINE_FAMILIES.join(', ')}`,
  );

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
    family,
    heldOut: report,
    promotion,
    hyperparameters: hp,
  };
  const artifact = assembleArtifact(
    body,
    fit.normalisation,
    version,
    deps.createdAt,
    {
      source: dataset.source,
      rows: metrics.rows,
      spans: metrics.spans,
      purgeUs: hp.purgeUs,
      hyperparameters: hp,
      family,
      bestEpoch: fit.mlp.bestEpoch,
      ridgeLambda: fit.ridge.lambda,
      inputs: FEATURE_NAMES.length,
    },
    {
      n: report.n,
      family,
      rmseBp: best?.rmseBp,
      rmseRatioVsRandomWalk: best?.rmseRatioVsRandomWalk,
      corr: best?.corr,
      hitRate: best?.hitRate,
      promoted: promotion.promote,
    },
  );
  fit.mlp.model.dispose();
  await deps.store.putVersion(artifact, metrics);
  if (promotion.promote) await deps.store.promote(version);
  log(promotion.promote ? 'promoted' : 'not promoted', { version, reasons: promotion.reasons });
  return { version, promoted: promotion.promote, metrics };
}
