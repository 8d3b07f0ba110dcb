/**
 * Every switch of the served candidate, with the scores behind it, to bronze `inference/switches`
 * (one small object per switch: they are minutes to hours apart). The key comes from the switch's
 * time, so a retried write overwrites the same object. A failed write is counted and logged, never
 * thrown into the tick.
 */
import { bronzeKey } from '../../core/bronze/bronze-keys.ts';
import type { BronzeWriter } from '../../core/bronze/bronze-store.ts';
import type { SwitchEvent } from '../../core/scoring/candidate-arena.ts';

export class SwitchLog {
  objects = 0;
  failures = 0;

  constructor(
    private readonly writer: BronzeWriter,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  add(symbol: string, event: SwitchEvent): void {
    const key = bronzeKey('inference/switches', symbol, event.timeUs / 1000, event.timeUs, event.timeUs);
    this.writer.write(key, [{ symbol, ...event }]).then(
      () => {
        this.objects++;
      },
      (error) => {
        this.failures++;
        this.onError(error);
      },
    );
  }
}
