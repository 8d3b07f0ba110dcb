/**
 * The champion inference offers as a candidate: the artifact at `models/current` in the model store
 * (S3 in AWS, a directory locally), of any kind, run by the tfjs-free forecaster
 * (core/model/forecaster.ts). A newly promoted model is picked up by polling and swapped in between
 * ticks (one reference assignment), so no tick is missed; until a model exists, or if one cannot be
 * read, there is no champion (the other candidates and the random walk go on).
 */
import { type Forecaster, forecasterFromArtifact } from '../../core/model/forecaster.ts';
import type { ModelStore } from '../../core/model/model-store.ts';

export class ModelProvider {
  private current: Forecaster | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ModelStore,
    private readonly log: (
      level: 'info' | 'warn' | 'error',
      message: string,
      fields?: Record<string, unknown>,
    ) => void,
    /** @default 30 s: a promotion is a daily event; half a minute of delay costs nothing */
    private readonly pollMs = 30_000,
  ) {}

  /** The champion, or undefined before the first promotion. */
  get(): Forecaster | undefined {
    return this.current;
  }

  /** Loads `models/current` if it is a different version; true when a new model was swapped in. */
  async refresh(): Promise<boolean> {
    try {
      const json = await this.store.getCurrent();
      if (json === undefined) return false;
      const forecaster = forecasterFromArtifact(json);
      if (forecaster.version === this.current?.version) return false;
      this.current = forecaster;
      this.log('info', 'a newly promoted model is a candidate', {
        version: forecaster.version,
        kind: forecaster.kind,
      });
      return true;
    } catch (error) {
      // Keep what we have: a broken artifact must not stop predictions.
      this.log('error', 'could not load models/current; keeping the current model', { error: String(error) });
      return false;
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
