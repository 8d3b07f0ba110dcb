/**
 * Champion and challengers, live: on every tick every candidate forecaster makes a shadow forecast
 * from the same feature vector, the champion rule (champion-rule.ts) picks the one served, and once
 * the horizon has passed every forecast is scored against the realised mid (rolling-scorecard.ts), the
 * online learner learns the matured label, and the rule looks again. Used by the inference service
 * and by `npm run bench:forecast`, which drives it from a replayed market: one serving code path.
 *
 * Candidates: the random walk, momentum, microprice, the online learner, and the champion from the
 * model store when there is one. The venue's oracle (local runs only) and the served forecast are
 * scored beside them but never served. The realised return of a tick is read as the scorer does
 * (core/scoring/prediction-scorer.ts): the mid as of t + horizon among the mids observed, once a
 * mid at or after t + horizon exists. Pure: time and mids come in.
 */
import { type Forecaster, microprice, momentum, randomWalk } from '../model/forecaster.ts';
import { OnlineLearner, type OnlineLearnerOptions } from '../model/online-learner.ts';
import {
  CHAMPION_RULE_DEFAULTS,
  type ChampionRuleOptions,
  decideServed,
  type ServingDecision,
} from './champion-rule.ts';
import { type CandidateScore, RANDOM_WALK, RollingScorecard, type ScoredTick } from './rolling-scorecard.ts';

export const ORACLE = 'oracle';
export const SERVED = 'served';
export const CHAMPION = 'champion';
export const ONLINE = 'online';

export interface ArenaOptions {
  /** @default 10 s */
  horizonUs?: number;
  /** @default 2 s */
  tickUs?: number;
  /** Scored ticks in the rolling window. @default 1800 (1 h of 2 s ticks; ADR 0086) */
  windowTicks?: number;
  rule?: Partial<ChampionRuleOptions>;
  /** Switch events kept in memory. @default 500 */
  switchesKept?: number;
  /** The online learner's settings when the arena makes a new one. */
  online?: OnlineLearnerOptions;
}

export interface SwitchEvent {
  timeUs: number;
  from: string;
  to: string;
  /** The version of the candidate now served. */
  toVersion: string;
  /** The scale it is served at (champion-rule.ts). */
  toScale: number;
  reason: string;
  /** Every candidate's rolling score when the switch was decided. */
  scores: Record<string, { n: number; rmseRatioVsRandomWalk: number; t: number }>;
}

export interface ArenaTick {
  served: string;
  servedVersion: string;
  /** The served forecast (ln return): the served candidate's times `scale`. */
  forecast: number;
  /** The proven scale the served candidate is served at (champion-rule.ts; 1 for the random walk). */
  scale: number;
  /** Every candidate's shadow forecast (NaN: none, e.g. the online learner warming up). */
  forecasts: Record<string, number>;
}

export interface CandidateReport {
  kind: string;
  version: string;
  n: number;
  rmseRatioVsRandomWalk: number | null;
  corr: number | null;
  hitRate: number | null;
  hitN: number;
  /** Mean (random walk loss − candidate loss) in bp², its Newey–West standard error and t. */
  lossDiffVsRandomWalk: { meanBp2: number; seBp2: number; t: number } | null;
  /** (1 − ratio) / (1 − oracle's ratio) on the ticks both forecast; null without an oracle. */
  skillCaptured: number | null;
}

export interface ArenaReport {
  served: string;
  /** The scale the served candidate is served at now (1 for the random walk). */
  servedScale: number;
  windowTicks: number;
  candidates: Record<string, CandidateReport>;
}

interface Pending {
  timeUs: number;
  mid: number;
  values: Float64Array;
  forecasts: Record<string, number>;
}

const SAMPLES_KEPT = 1000;

export class CandidateArena {
  readonly online: OnlineLearner;
  readonly scorecard: RollingScorecard;
  readonly switches: SwitchEvent[] = [];
  private readonly candidates = new Map<string, Forecaster>();
  private readonly pending: Pending[] = [];
  private readonly samples: { timeUs: number; mid: number }[] = [];
  private readonly horizonUs: number;
  private readonly rule: ChampionRuleOptions;
  private servedName = RANDOM_WALK;
  private ticksSinceSwitch = 0;
  private lastDecision: ServingDecision = { served: RANDOM_WALK, scale: 1, switched: false, reason: 'start' };

  constructor(
    private readonly o: ArenaOptions = {},
    online?: OnlineLearner,
  ) {
    this.horizonUs = o.horizonUs ?? 10_000_000;
    const tickUs = o.tickUs ?? 2_000_000;
    this.rule = { ...CHAMPION_RULE_DEFAULTS, ...o.rule };
    this.scorecard = new RollingScorecard(
      o.windowTicks ?? 1800,
      Math.max(0, Math.ceil(this.horizonUs / tickUs) - 1),
    );
    this.online = online ?? new OnlineLearner(o.online);
    this.candidates.set(RANDOM_WALK, randomWalk);
    this.candidates.set('momentum', momentum);
    this.candidates.set('microprice', microprice);
    this.candidates.set(ONLINE, this.online);
  }

  get served(): string {
    return this.servedName;
  }

  get decision(): ServingDecision {
    return this.lastDecision;
  }

  candidateNames(): string[] {
    return [...this.candidates.keys()];
  }

  /**
   * The champion from the model store (undefined: none). A newly promoted version takes the slot
   * with the slot's record: every forecast in it was made out of sample by the version then current
   * (each is trained on data before it), so the record scores the procedure "serve the latest
   * promotion", which is what serving the slot does. Retraining every half hour would otherwise
   * never let a champion build the hour of record the rule needs (ADR 0086).
   */
  setChampion(f: Forecaster | undefined): void {
    if (f) this.candidates.set(CHAMPION, f);
    else this.candidates.delete(CHAMPION);
  }

  /** Every candidate's forecast for this tick, and the served one (as decided by the last scoring). */
  predict(timeUs: number, mid: number, values: ArrayLike<number>): ArenaTick {
    const forecasts: Record<string, number> = {};
    for (const [name, f] of this.candidates) {
      const v = name === ONLINE && this.online.warmingUp ? Number.NaN : f.forecast(values);
      forecasts[name] = Number.isFinite(v) ? v : Number.NaN;
    }
    let served = this.servedName;
    let scale = this.lastDecision.scale;
    if (!Number.isFinite(forecasts[served] ?? Number.NaN)) {
      served = RANDOM_WALK;
      scale = 1;
    }
    // + 0: a zero scale gives 0, never -0.
    const forecast = (forecasts[served] as number) * scale + 0;
    this.pending.push({
      timeUs,
      mid,
      values: Float64Array.from(values),
      forecasts: { ...forecasts, [SERVED]: forecast },
    });
    return {
      served,
      servedVersion: this.candidates.get(served)?.version ?? served,
      forecast,
      scale,
      forecasts,
    };
  }

  /** The venue's oracle forecast for the tick at `timeUs` (arrives asynchronously in a live run). */
  setOracle(timeUs: number, forecast: number): void {
    const p = this.pending.find((q) => q.timeUs === timeUs);
    if (p && Number.isFinite(forecast)) p.forecasts[ORACLE] = forecast;
  }

  /**
   * Records the mid at `timeUs`; scores every tick whose horizon has passed, feeds the online
   * learner, and applies the champion rule. Returns the ticks scored and the switch, if any.
   */
  observe(timeUs: number, mid: number): { scored: ScoredTick[]; switched: SwitchEvent | undefined } {
    const last = this.samples.at(-1);
    if (Number.isFinite(mid) && (!last || timeUs > last.timeUs)) {
      this.samples.push({ timeUs, mid });
      if (this.samples.length > SAMPLES_KEPT) this.samples.splice(0, this.samples.length - SAMPLES_KEPT);
    }
    const scored: ScoredTick[] = [];
    while (this.pending.length > 0) {
      const p = this.pending[0] as Pending;
      const target = p.timeUs + this.horizonUs;
      if (timeUs < target) break;
      this.pending.shift();
      const realized = this.midAsOf(target);
      if (realized === undefined || !(p.mid > 0)) continue;
      const label = Math.log(realized / p.mid);
      const tick: ScoredTick = { timeUs: p.timeUs, label, forecasts: p.forecasts };
      this.scorecard.add(tick);
      this.online.learn(p.values, label);
      scored.push(tick);
    }
    if (scored.length === 0) return { scored, switched: undefined };
    this.ticksSinceSwitch += scored.length;
    const decision = decideServed(
      this.servedName,
      this.ticksSinceSwitch,
      this.scorecard,
      this.candidateNames(),
      this.rule,
    );
    this.lastDecision = decision;
    if (!decision.switched || decision.served === this.servedName) return { scored, switched: undefined };
    const event: SwitchEvent = {
      timeUs,
      from: this.servedName,
      to: decision.served,
      toVersion: this.candidates.get(decision.served)?.version ?? decision.served,
      toScale: decision.scale,
      reason: decision.reason,
      scores: this.briefScores(),
    };
    this.servedName = decision.served;
    this.ticksSinceSwitch = 0;
    this.switches.push(event);
    if (this.switches.length > (this.o.switchesKept ?? 500)) this.switches.shift();
    return { scored, switched: event };
  }

  private briefScores(): SwitchEvent['scores'] {
    const out: SwitchEvent['scores'] = {};
    for (const name of this.candidateNames()) {
      const s = this.scorecard.score(name);
      if (s) out[name] = { n: s.n, rmseRatioVsRandomWalk: s.rmseRatioVsRandomWalk, t: s.vsRandomWalk.t };
    }
    return out;
  }

  /** Every candidate's rolling scorecard, the served forecast's and the oracle's. */
  report(): ArenaReport {
    const oracle = this.scorecard.score(ORACLE);
    const candidates: Record<string, CandidateReport> = {};
    const names = [...this.candidateNames(), SERVED, ...(oracle ? [ORACLE] : [])];
    for (const name of names) {
      const s = this.scorecard.score(name);
      const f = this.candidates.get(name);
      candidates[name] = {
        kind: name === SERVED ? this.servedName : name === ORACLE ? 'oracle' : (f?.kind ?? name),
        version: name === SERVED ? this.servedName : (f?.version ?? name),
        ...brief(s),
        skillCaptured: oracle
          ? skill(this.scorecard.score(name, ORACLE), this.scorecard.score(ORACLE, name))
          : null,
      };
    }
    return {
      served: this.servedName,
      servedScale: this.lastDecision.scale,
      windowTicks: this.scorecard.windowTicks,
      candidates,
    };
  }

  private midAsOf(timeUs: number): number | undefined {
    let found: number | undefined;
    for (const s of this.samples) {
      if (s.timeUs > timeUs) break;
      found = s.mid;
    }
    return found;
  }
}

function brief(s: CandidateScore | null): Omit<CandidateReport, 'kind' | 'version' | 'skillCaptured'> {
  if (!s)
    return {
      n: 0,
      rmseRatioVsRandomWalk: null,
      corr: null,
      hitRate: null,
      hitN: 0,
      lossDiffVsRandomWalk: null,
    };
  return {
    n: s.n,
    rmseRatioVsRandomWalk: Number.isFinite(s.rmseRatioVsRandomWalk) ? s.rmseRatioVsRandomWalk : null,
    corr: s.corr,
    hitRate: s.hitRate,
    hitN: s.hitN,
    lossDiffVsRandomWalk: {
      meanBp2: s.vsRandomWalk.meanBp2,
      seBp2: s.vsRandomWalk.seBp2,
      t: s.vsRandomWalk.t,
    },
  };
}

/** skillCaptured = (1 − ratio) / (1 − oracle's ratio), on the same ticks; null when the oracle has no skill. */
export function skill(candidate: CandidateScore | null, oracle: CandidateScore | null): number | null {
  if (!candidate || !oracle) return null;
  const o = 1 - oracle.rmseRatioVsRandomWalk;
  return o > 0 ? (1 - candidate.rmseRatioVsRandomWalk) / o : null;
}
