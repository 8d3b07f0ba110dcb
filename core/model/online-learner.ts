/**
 * The online learner: recursive least squares with exponential forgetting on the same standardised
 * features as the offline families, updated each time a label matures. After n updates with
 * forgetting β and prior δ the coefficients are exactly the weighted ridge solution
 *
 *   w_n = argmin_w  Σ_i β^(n−i) (y_i − w·x_i)² + δ β^n ‖w‖²,   x = [z, 1] (intercept last), y in bp,
 *
 * (tested against the closed form), so β sets the memory (1 / (1 − β) updates) and δ the ridge
 * penalty in units of a sum of squared z, as RIDGE_LAMBDAS are.
 *
 * Standardisation is fitted once, on the first labelled rows (the warm-up), then frozen with the
 * state, because a change of scale would silently change the meaning of every coefficient. Until then
 * the learner forecasts zero (the random walk) and says it is warming up. The whole state fits in an
 * `online` model artifact, so a restarted service resumes where it was. Pure.
 */
import { FEATURE_NAMES, FEATURE_VERSION } from '../features/feature-names.ts';
import {
  MODEL_ARTIFACT_FORMAT,
  ModelArtifactError,
  type OnlineArtifact,
  type OnlineBody,
  parseModelArtifact,
} from './artifact.ts';
import type { Forecaster } from './forecaster.ts';
import { DEFAULT_CLIP_Z, fitNormalisation, type Normalisation, standardiseInto } from './normalisation.ts';

const BP = 1e4;

/** Recursive least squares with forgetting, on raw inputs x (length d) and labels y. */
export class RecursiveLeastSquares {
  readonly d: number;
  readonly weights: Float64Array;
  /** Inverse information matrix, d × d row-major. */
  readonly p: Float64Array;
  updates: number;
  private readonly px: Float64Array;

  constructor(
    d: number,
    readonly forgetting: number,
    readonly delta: number,
    state?: { weights: ArrayLike<number>; p: ArrayLike<number>; updates: number },
  ) {
    if (!(forgetting > 0 && forgetting <= 1))
      throw new RangeError(`forgetting ${forgetting} is not in (0, 1].`);
    if (!(delta > 0)) throw new RangeError(`delta ${delta} is not positive.`);
    this.d = d;
    this.weights = new Float64Array(d);
    this.p = new Float64Array(d * d);
    this.px = new Float64Array(d);
    this.updates = 0;
    if (state) {
      this.weights.set(state.weights);
      this.p.set(state.p);
      this.updates = state.updates;
    } else for (let i = 0; i < d; i++) this.p[i * d + i] = 1 / delta;
  }

  predict(x: ArrayLike<number>): number {
    let s = 0;
    for (let i = 0; i < this.d; i++) s += (this.weights[i] as number) * (x[i] as number);
    return s;
  }

  update(x: ArrayLike<number>, y: number): void {
    const { d, p, px, weights } = this;
    let denom = this.forgetting;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (p[i * d + j] as number) * (x[j] as number);
      px[i] = s;
      denom += (x[i] as number) * s;
    }
    const error = y - this.predict(x);
    const inv = 1 / this.forgetting;
    for (let i = 0; i < d; i++) {
      const ki = (px[i] as number) / denom;
      weights[i] = (weights[i] as number) + ki * error;
      for (let j = 0; j < d; j++) p[i * d + j] = ((p[i * d + j] as number) - ki * (px[j] as number)) * inv;
    }
    this.updates++;
  }
}

export interface OnlineLearnerOptions {
  /** @default 0.9997: a memory of about 3,300 labels (1.9 h of 2 s ticks) */
  forgetting?: number;
  /** Ridge prior in units of a sum of squared z. @default 100 */
  delta?: number;
  /** Labelled rows the standardisation is fitted on. @default 60 (2 min of ticks) */
  warmupRows?: number;
  clipZ?: number;
}

export const ONLINE_DEFAULTS = { forgetting: 0.9997, delta: 100, warmupRows: 60 } as const;

/** A feature needs this share of finite values in the warm-up to be standardised from it. */
const MIN_FINITE_SHARE = 0.5;
/** Past this many warm-up rows, features still missing are standardised as they are (mean 0, std 1). */
const MAX_WARMUP_FACTOR = 4;

export class OnlineLearner implements Forecaster {
  readonly kind = 'online' as const;
  private normalisation: Normalisation | undefined;
  private rls: RecursiveLeastSquares | undefined;
  private readonly warmup: { x: Float64Array; label: number }[] = [];
  private readonly x: Float64Array;
  private readonly d = FEATURE_NAMES.length;
  readonly forgetting: number;
  readonly delta: number;
  readonly warmupRows: number;
  private readonly clipZ: number;

  constructor(options: OnlineLearnerOptions = {}) {
    this.forgetting = options.forgetting ?? ONLINE_DEFAULTS.forgetting;
    this.delta = options.delta ?? ONLINE_DEFAULTS.delta;
    this.warmupRows = options.warmupRows ?? ONLINE_DEFAULTS.warmupRows;
    this.clipZ = options.clipZ ?? DEFAULT_CLIP_Z;
    this.x = new Float64Array(this.d + 1);
    this.x[this.d] = 1;
  }

  get version(): string {
    return `online-rls@${this.updates}`;
  }

  /** Labels learned from (warm-up rows included once it ends). */
  get updates(): number {
    return this.rls?.updates ?? 0;
  }

  get warmingUp(): boolean {
    return this.rls === undefined;
  }

  forecast(values: ArrayLike<number>): number {
    if (!this.rls || !this.normalisation) return 0;
    standardiseInto(values, this.normalisation, this.x.subarray(0, this.d));
    return this.rls.predict(this.x) / BP;
  }

  /** A matured label (ln return) for the vector served at its tick. */
  learn(values: ArrayLike<number>, label: number): void {
    if (!Number.isFinite(label)) return;
    if (!this.rls || !this.normalisation) {
      this.warmup.push({ x: Float64Array.from(values), label });
      this.tryFinishWarmup();
      return;
    }
    standardiseInto(values, this.normalisation, this.x.subarray(0, this.d));
    this.rls.update(this.x, label * BP);
  }

  private tryFinishWarmup(): void {
    const n = this.warmup.length;
    if (n < this.warmupRows) return;
    const xs = this.warmup.map((r) => r.x);
    const enough = (j: number) => xs.filter((x) => Number.isFinite(x[j])).length >= MIN_FINITE_SHARE * n;
    let ready = true;
    for (let j = 0; j < this.d; j++) if (!enough(j)) ready = false;
    if (!ready && n < this.warmupRows * MAX_WARMUP_FACTOR) return;
    // Fit on the most recent warm-up rows: the earliest ones come from still-filling windows.
    this.normalisation = fitNormalisation(xs.slice(-this.warmupRows), this.clipZ);
    this.rls = new RecursiveLeastSquares(this.d + 1, this.forgetting, this.delta);
    const rows = this.warmup.splice(0);
    for (const r of rows) this.learn(r.x, r.label);
  }

  /** The state as an `online` artifact (undefined while warming up: there is nothing to resume). */
  toArtifact(symbol: string, createdAt: string): OnlineArtifact | undefined {
    if (!this.rls || !this.normalisation) return undefined;
    const online: OnlineBody = {
      forgetting: this.forgetting,
      delta: this.delta,
      updates: this.rls.updates,
      weights: Array.from(this.rls.weights),
      p: Array.from(this.rls.p),
    };
    return {
      format: MODEL_ARTIFACT_FORMAT,
      kind: 'online',
      version: this.version,
      createdAt,
      symbol,
      featureVersion: FEATURE_VERSION,
      featureNames: [...FEATURE_NAMES],
      horizonUs: 10_000_000,
      normalisation: this.normalisation,
      missing: 'impute-train-mean',
      output: { unit: 'bp' },
      online,
      training: { warmupRows: this.warmupRows },
      metrics: {},
    };
  }

  /** Resumes from an `online` artifact (parsed JSON); throws ModelArtifactError. */
  static fromArtifact(json: unknown, options: OnlineLearnerOptions = {}): OnlineLearner {
    const a = parseModelArtifact(json);
    if (a.kind !== 'online') throw new ModelArtifactError(`kind ${a.kind} is not an online learner`);
    const learner = new OnlineLearner({
      ...options,
      forgetting: a.online.forgetting,
      delta: a.online.delta,
      clipZ: a.normalisation.clipZ,
    });
    learner.normalisation = a.normalisation;
    learner.rls = new RecursiveLeastSquares(learner.d + 1, a.online.forgetting, a.online.delta, a.online);
    return learner;
  }
}
