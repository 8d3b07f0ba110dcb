/**
 * One interface for every model family, and the one tfjs-free code path that runs them, offline (the
 * trainer's scorecard) and live (inference's candidates): a forecaster turns one feature vector
 * (FEATURE_NAMES order, NaN where missing) into a forecast of ln(mid(t + 10 s) / mid(t)).
 *
 * Families: the random walk (0), momentum (ret_10s continues), microprice (the mid moves to the
 * microprice), ridge (linear on standardised features), the MLP (predictor.ts), and the online learner
 * (online-learner.ts, which also learns). `forecasterFromArtifact` builds any of them from a model
 * artifact. Pure.
 */
import type { BaselineName, LinearArtifact } from './artifact.ts';
import { parseModelArtifact } from './artifact.ts';
import { micropriceForecast, momentumForecast, randomWalkForecast } from './baselines.ts';
import type { LabelledRow } from './dataset.ts';
import { type Normalisation, standardiseInto } from './normalisation.ts';
import { OnlineLearner } from './online-learner.ts';
import { Predictor } from './predictor.ts';

export const FORECASTER_KINDS = ['random-walk', 'momentum', 'microprice', 'ridge', 'mlp', 'online'] as const;
export type ForecasterKind = (typeof FORECASTER_KINDS)[number];

export interface Forecaster {
  readonly kind: ForecasterKind;
  /** The artifact version, or the family's name for a parameter-free baseline. */
  readonly version: string;
  forecast(values: ArrayLike<number>): number;
}

const baseline = (kind: BaselineName, f: (x: ArrayLike<number>) => number): Forecaster => ({
  kind,
  version: kind,
  forecast: f,
});

export const randomWalk: Forecaster = baseline('random-walk', randomWalkForecast);
export const momentum: Forecaster = baseline('momentum', momentumForecast);
export const microprice: Forecaster = baseline('microprice', micropriceForecast);
export const BASELINE_FORECASTERS: Readonly<Record<BaselineName, Forecaster>> = {
  'random-walk': randomWalk,
  momentum,
  microprice,
};

const BP = 1e4;

/** A linear model on standardised features (the ridge family). */
export class LinearForecaster implements Forecaster {
  readonly kind = 'ridge' as const;
  private readonly z: Float64Array;
  private readonly weights: Float64Array;

  constructor(
    readonly version: string,
    private readonly normalisation: Normalisation,
    weights: ArrayLike<number>,
    private readonly interceptBp: number,
  ) {
    this.weights = Float64Array.from(weights);
    this.z = new Float64Array(this.weights.length);
  }

  forecast(values: ArrayLike<number>): number {
    standardiseInto(values, this.normalisation, this.z);
    let s = this.interceptBp;
    for (let j = 0; j < this.z.length; j++) s += (this.weights[j] as number) * (this.z[j] as number);
    return s / BP;
  }

  static fromArtifact(a: LinearArtifact): LinearForecaster {
    return new LinearForecaster(a.version, a.normalisation, a.linear.weights, a.linear.interceptBp);
  }
}

/** The MLP through the tfjs-free predictor. */
export class MlpForecaster implements Forecaster {
  readonly kind = 'mlp' as const;
  constructor(readonly predictor: Predictor) {}
  get version(): string {
    return this.predictor.version;
  }
  forecast(values: ArrayLike<number>): number {
    return this.predictor.predict(values).logReturn;
  }
}

/** Any artifact kind (parsed JSON, validated first; throws ModelArtifactError). */
export function forecasterFromArtifact(json: unknown): Forecaster {
  const a = parseModelArtifact(json);
  switch (a.kind) {
    case 'mlp':
      return new MlpForecaster(new Predictor(a));
    case 'linear':
      return LinearForecaster.fromArtifact(a);
    case 'online':
      return OnlineLearner.fromArtifact(a);
    case 'baseline': {
      const b = BASELINE_FORECASTERS[a.baseline];
      return { kind: b.kind, version: a.version, forecast: b.forecast };
    }
  }
}

/** The forecasts of one forecaster for each row: the scorer's input, offline and in tests. */
export function forecastRows(f: Forecaster, rows: readonly LabelledRow[]): number[] {
  return rows.map((r) => f.forecast(r.x));
}
