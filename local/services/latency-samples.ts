/** Latency samples of one hop, the newest `kept` (a ring), and their percentiles. */
export class LatencySamples {
  private readonly values: number[] = [];
  private next = 0;

  constructor(private readonly kept = 20_000) {}

  add(ms: number): void {
    if (this.values.length < this.kept) this.values.push(ms);
    else {
      this.values[this.next] = ms;
      this.next = (this.next + 1) % this.kept;
    }
  }

  get samples(): readonly number[] {
    return this.values;
  }

  /** P-th percentile (0-1), rounded to 0.01 ms; null without samples. */
  percentile(p: number): number | null {
    if (this.values.length === 0) return null;
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
    return Math.round(at * 100) / 100;
  }
}
