/**
 * Scores 10-second-ahead predictions against what happened and against a random walk (the
 * prediction "no change"), on exchange event time. A prediction made at t for t + horizon is
 * resolved with the mid as of t + horizon (the latest sample at or before it), and only once a
 * sample at or after t + horizon exists, so the value used is final. Pure: samples come in.
 *
 * RMSE ratio < 1 means the model beats the random walk. Hit rate counts the moves where both the
 * realised and the predicted return are non-zero (a zero prediction has no direction).
 */

export interface Prediction {
  /** Exchange time the features describe (µs). */
  eventTimeUs: number;
  midAtPrediction: number;
  predictedLogReturn: number;
  modelVersion: string;
}

export interface ScoredPrediction extends Prediction {
  realizedLogReturn: number;
  error: number;
}

export interface ScoreSummary {
  count: number;
  scored: number;
  rmseModel: number | null;
  rmseRandomWalk: number | null;
  rmseRatioVsRandomWalk: number | null;
  hitRate: number | null;
}

/** Mid samples kept: the horizon plus margin, at one sample per tick. */
const MAX_SAMPLES = 1000;

export class PredictionScorer {
  private readonly pending: Prediction[] = [];
  private readonly samples: { eventTimeUs: number; mid: number }[] = [];
  private count = 0;
  private scored = 0;
  private sumSqModel = 0;
  private sumSqRandomWalk = 0;
  private hits = 0;
  private directional = 0;

  constructor(readonly horizonUs = 10_000_000) {}

  add(p: Prediction): void {
    this.count++;
    this.pending.push(p);
  }

  /** Records the mid at an exchange time and resolves every prediction that can now be scored. */
  observe(eventTimeUs: number, mid: number): ScoredPrediction[] {
    const last = this.samples.at(-1);
    if (!last || eventTimeUs > last.eventTimeUs) {
      this.samples.push({ eventTimeUs, mid });
      if (this.samples.length > MAX_SAMPLES) this.samples.shift();
    }
    const resolved: ScoredPrediction[] = [];
    while (this.pending.length > 0) {
      const p = this.pending[0] as Prediction;
      const target = p.eventTimeUs + this.horizonUs;
      if (eventTimeUs < target) break;
      this.pending.shift();
      const realized = this.midAsOf(target);
      if (realized === undefined) continue; // the history no longer reaches back: cannot score
      const realizedLogReturn = Math.log(realized / p.midAtPrediction);
      const error = realizedLogReturn - p.predictedLogReturn;
      this.scored++;
      this.sumSqModel += error * error;
      this.sumSqRandomWalk += realizedLogReturn * realizedLogReturn;
      if (realizedLogReturn !== 0 && p.predictedLogReturn !== 0) {
        this.directional++;
        if (Math.sign(realizedLogReturn) === Math.sign(p.predictedLogReturn)) this.hits++;
      }
      resolved.push({ ...p, realizedLogReturn, error });
    }
    return resolved;
  }

  summary(): ScoreSummary {
    const rmse = (sumSq: number) => (this.scored > 0 ? Math.sqrt(sumSq / this.scored) : null);
    const model = rmse(this.sumSqModel);
    const randomWalk = rmse(this.sumSqRandomWalk);
    return {
      count: this.count,
      scored: this.scored,
      rmseModel: model,
      rmseRandomWalk: randomWalk,
      rmseRatioVsRandomWalk: model !== null && randomWalk ? model / randomWalk : null,
      hitRate: this.directional > 0 ? this.hits / this.directional : null,
    };
  }

  private midAsOf(timeUs: number): number | undefined {
    let found: number | undefined;
    for (const s of this.samples) {
      if (s.eventTimeUs > timeUs) break;
      found = s.mid;
    }
    return found;
  }
}
