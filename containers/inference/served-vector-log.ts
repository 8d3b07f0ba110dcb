/**
 * Every served feature vector, with its prediction and model version, to bronze `features/served`
 * (docs/bronze-layout.md), so that training uses exactly what was served. Buffered and written as
 * one object per symbol per flush; object keys come from the first and last event times, so a retried
 * flush overwrites the same key.
 */
import { bronzeKey } from '../../core/bronze/bronze-keys.ts';
import type { BronzeWriter } from '../../core/bronze/bronze-store.ts';
import type { ServedPrediction } from './inference-service.ts';

interface ServedLine {
  eventTimeUs: number;
  v: number;
  values: (number | null)[];
  modelVersion: string;
  predictionLogReturn: number;
  horizonUs: number;
}

export class ServedVectorLog {
  private readonly pending = new Map<string, ServedLine[]>();
  private timer: NodeJS.Timeout | undefined;
  objects = 0;
  failures = 0;

  constructor(
    private readonly writer: BronzeWriter,
    private readonly horizonUs = 10_000_000,
    /** @default 30 s: one object per half minute per symbol keeps objects few and loss on a crash small */
    private readonly flushMs = 30_000,
  ) {}

  add(p: ServedPrediction): void {
    if (p.flag || !p.featuresJson || p.predictedLogReturn === undefined) return;
    const features = JSON.parse(p.featuresJson) as {
      v: number;
      eventTimeUs: number;
      values: (number | null)[];
    };
    const lines = this.pending.get(p.symbol) ?? [];
    lines.push({
      eventTimeUs: features.eventTimeUs,
      v: features.v,
      values: features.values,
      modelVersion: p.modelVersion,
      predictionLogReturn: p.predictedLogReturn,
      horizonUs: this.horizonUs,
    });
    this.pending.set(p.symbol, lines);
  }

  start(): void {
    // A failed flush keeps its lines for the next one; it is counted, not thrown into the timer.
    this.timer = setInterval(() => void this.flush().catch(() => this.failures++), this.flushMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  async flush(): Promise<void> {
    const batches = [...this.pending.entries()];
    this.pending.clear();
    for (const [symbol, lines] of batches) {
      const first = lines[0] as ServedLine;
      const last = lines[lines.length - 1] as ServedLine;
      const key = bronzeKey(
        'features/served',
        symbol,
        first.eventTimeUs / 1000,
        first.eventTimeUs,
        last.eventTimeUs,
      );
      try {
        await this.writer.write(key, lines);
        this.objects++;
      } catch (error) {
        // Put them back: the next flush writes them (a superset, under a new key range).
        this.pending.set(symbol, [...lines, ...(this.pending.get(symbol) ?? [])]);
        throw error;
      }
    }
  }
}
