/**
 * The online learner: recursive least squares with exponential forgetting on the same standardised
 * features as the offline families, updated each time a label matures. After n updates with
 * forgetting β and prior δ the coefficients are exactly the weighted ridge solution
 *
 *   w_n = argmin_w  Σ_i β^(n−i) (y_i − w·x_i)² + δ β^n ‖w‖²,   x = [z, 1] (intercept last), y in bp,
 *
 * (tested against the closed form), so β sets the memory (1 / (1 − β) updates) and δ the ridge
 * penalty in units of a sum of squared z, as RIDGE_LAMBDAS are. As the offline ridge picks λ on
 * validation rows, the learner runs one RLS per δ and forecasts with the one whose prequential error
 * (each label forecast before it is learned, exponentially weighted with the same β) is lowest: the
 * strongest penalty while few labels are in, weaker ones as they earn it.
 *
 * Standardisation is fitted on the first labelled rows (the warm-up), and refitted on every row so
 * far at 4 and 16 times that many (8 and 32 minutes live), each time relearning those rows in order
 * under the new scale; then it is frozen, because a change of scale silently changes the meaning of
 * every coefficient. (Two minutes of a trending market give z-scores that clip at ±5 an hour later.)
 * Until the warm-up ends the learner forecasts zero (the random walk) and says it is warming up. The
 * whole state fits in an `online` model artifact, so a restarted service resumes where it was (rows
 * kept for a refit are not saved: a learner resumed before its last refit keeps its scale). Pure.
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
  /**
   * Ridge priors in units of a sum of squared z, one RLS each: the upper part of RIDGE_LAMBDAS, since
   * 10 s labels on a 2 s grid overlap five ways (a row is worth a fifth of an independent one).
   * @default [1000, 10000, 100000]
   */
  deltas?: readonly number[];
  /** Labelled rows the standardisation is fitted on. @default 60 (2 min of ticks) */
  warmupRows?: number;
  /**
   * Updates between a row's forecast and the learning of its label: horizon / tick = 5 live. The
   * prequential error of a row is taken with the coefficients of that many updates before, i.e.
   * those that made its forecast: with the newer ones it would have seen the 4 overlapping labels
   * learned since, and would favour the weakest penalty. @default 5
   */
  labelLagUpdates?: number;
  clipZ?: number;
}

export const ONLINE_DEFAULTS = {
  forgetting: 0.9997,
  deltas: [1_000, 10_000, 100_000],
  warmupRows: 60,
} as const;

/** A feature needs this share of finite values in the warm-up to be standardised from it. */
const MIN_FINITE_SHARE = 0.5;
/** Past this many warm-up rows, features still missing are standardised as they are (mean 0, std 1). */
const MAX_WARMUP_FACTOR = 4;
/** The standardisation is refitted at these multiples of the warm-up, then frozen. */
const REFIT_FACTORS = [4, 16] as const;

export class OnlineLearner implements Forecaster {
  readonly kind = 'online' as const;
  private normalisation: Normalisation | undefined;
  private learners: RecursiveLeastSquares[] | undefined;
  /** Exponentially weighted squared prequential error of each learner (bp²). */
  private prequential: Float64Array;
  private readonly warmup: { x: Float64Array; label: number }[] = [];
  /** Every row learned until the last refit (then emptied for good). */
  private rows: { x: Float64Array; label: number }[] | undefined = [];
  private refits = 0;
  /** Per learner, the coefficients of the last `labelLagUpdates` updates (a ring, oldest at `ring`). */
  private history: Float64Array[][] = [];
  private ring = 0;
  private readonly x: Float64Array;
  private readonly d = FEATURE_NAMES.length;
  readonly labelLagUpdates: number;
  readonly forgetting: number;
  readonly deltas: readonly number[];
  readonly warmupRows: number;
  private readonly clipZ: number;

  constructor(options: OnlineLearnerOptions = {}) {
    this.forgetting = options.forgetting ?? ONLINE_DEFAULTS.forgetting;
    this.deltas = [...(options.deltas ?? ONLINE_DEFAULTS.deltas)].sort((a, b) => b - a);
    if (this.deltas.length === 0) throw new RangeError('The online learner needs at least one delta.');
    this.warmupRows = options.warmupRows ?? ONLINE_DEFAULTS.warmupRows;
    this.labelLagUpdates = Math.max(1, options.labelLagUpdates ?? 5);
    this.clipZ = options.clipZ ?? DEFAULT_CLIP_Z;
    this.x = new Float64Array(this.d + 1);
    this.x[this.d] = 1;
    this.prequential = new Float64Array(this.deltas.length);
  }

  get version(): string {
    return `online-rls@${this.updates}`;
  }

  /** Labels learned from (warm-up rows included once it ends). */
  get updates(): number {
    return this.learners?.[0]?.updates ?? 0;
  }

  get warmingUp(): boolean {
    return this.learners === undefined;
  }

  /** The δ forecasting now: the lowest prequential error (ties: the strongest penalty). */
  get delta(): number {
    return this.deltas[this.best()] as number;
  }

  private best(): number {
    let best = 0;
    for (let k = 1; k < this.prequential.length; k++)
      if ((this.prequential[k] as number) < (this.prequential[best] as number)) best = k;
    return best;
  }

  forecast(values: ArrayLike<number>): number {
    if (!this.learners || !this.normalisation) return 0;
    standardiseInto(values, this.normalisation, this.x.subarray(0, this.d));
    return (this.learners[this.best()] as RecursiveLeastSquares).predict(this.x) / BP;
  }

  /** A matured label (ln return) for the vector served at its tick. */
  learn(values: ArrayLike<number>, label: number): void {
    if (!Number.isFinite(label)) return;
    if (!this.learners || !this.normalisation) {
      this.warmup.push({ x: Float64Array.from(values), label });
      this.tryFinishWarmup();
      return;
    }
    if (this.rows) {
      this.rows.push({ x: Float64Array.from(values), label });
      const refitAt = REFIT_FACTORS[this.refits];
      if (refitAt !== undefined && this.rows.length >= refitAt * this.warmupRows) {
        this.refits++;
        this.start(this.rows, this.refits < REFIT_FACTORS.length);
        return;
      }
    }
    this.update(values, label);
  }

  private update(values: ArrayLike<number>, label: number): void {
    standardiseInto(values, this.normalisation as Normalisation, this.x.subarray(0, this.d));
    const y = label * BP;
    for (const [k, rls] of (this.learners as RecursiveLeastSquares[]).entries()) {
      const ring = this.history[k] as Float64Array[];
      const then = ring[this.ring] as Float64Array;
      let f = 0;
      for (let j = 0; j <= this.d; j++) f += (then[j] as number) * (this.x[j] as number);
      this.prequential[k] = this.forgetting * (this.prequential[k] as number) + (y - f) ** 2;
      rls.update(this.x, y);
      then.set(rls.weights);
    }
    this.ring = (this.ring + 1) % this.labelLagUpdates;
  }

  private resetHistory(): void {
    this.history = (this.learners ?? []).map((rls) =>
      Array.from({ length: this.labelLagUpdates }, () => Float64Array.from(rls.weights)),
    );
    this.ring = 0;
  }

  private tryFinishWarmup(): void {
    const n = this.warmup.length;
    if (n < this.warmupRows) return;
    const xs = this.warmup.map((r) => r.x);
    const enough = (j: number) => xs.filter((x) => Number.isFinite(x[j])).length >= MIN_FINITE_SHARE * n;
    let ready = true;
    for (let j = 0; j < this.d; j++) if (!enough(j)) ready = false;
    if (!ready && n < this.warmupRows * MAX_WARMUP_FACTOR) return;
    this.start(this.warmup.splice(0), true);
  }

  /**
   * Fits the standardisation on `rows` (the most recent warm-up's worth at the first fit: the
   * earliest rows come from still-filling windows) and learns them afresh, in order.
   */
  private start(rows: { x: Float64Array; label: number }[], keepRows: boolean): void {
    const xs = rows.map((r) => r.x);
    this.normalisation = fitNormalisation(this.refits === 0 ? xs.slice(-this.warmupRows) : xs, this.clipZ);
    this.learners = this.deltas.map((delta) => new RecursiveLeastSquares(this.d + 1, this.forgetting, delta));
    this.prequential.fill(0);
    this.resetHistory();
    this.rows = keepRows ? rows : undefined;
    for (const r of rows) this.update(r.x, r.label);
  }

  /** The state as an `online` artifact (undefined while warming up: there is nothing to resume). */
  toArtifact(symbol: string, createdAt: string): OnlineArtifact | undefined {
    if (!this.learners || !this.normalisation) return undefined;
    const online: OnlineBody = {
      forgetting: this.forgetting,
      learners: this.learners.map((rls, k) => ({
        delta: rls.delta,
        updates: rls.updates,
        prequentialSeBp2: this.prequential[k] as number,
        weights: Array.from(rls.weights),
        p: Array.from(rls.p),
      })),
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
      deltas: a.online.learners.map((l) => l.delta),
      clipZ: a.normalisation.clipZ,
    });
    learner.normalisation = a.normalisation;
    learner.rows = undefined;
    // The constructor sorts the deltas (strongest first): keep each state with its own δ.
    const byDelta = new Map(a.online.learners.map((l) => [l.delta, l]));
    learner.learners = learner.deltas.map((delta) => {
      const l = byDelta.get(delta) as (typeof a.online.learners)[number];
      return new RecursiveLeastSquares(learner.d + 1, a.online.forgetting, delta, l);
    });
    // The ring restarts from the resumed coefficients: the first few prequential errors after a
    // restart are taken with slightly newer coefficients than live, which is all a restart loses.
    learner.resetHistory();
    learner.prequential = Float64Array.from(
      learner.deltas.map((delta) => byDelta.get(delta)?.prequentialSeBp2 ?? 0),
    );
    return learner;
  }
}
