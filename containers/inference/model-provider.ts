/**
 * The model inference serves: the champion at `models/current` in the model store (S3 in AWS, a
 * directory locally), loaded into the tfjs-free Predictor. A newly promoted model is picked up by
 * polling and swapped in between ticks (one reference assignment), so no tick is missed; until a
 * model exists, or if one cannot be read, the random walk is served.
 */
import type { ModelStore } from '../../core/model/model-store.ts';
import { Predictor } from '../../core/model/predictor.ts';
import { type ReturnModel, randomWalkModel } from './return-model.ts';

export function predictorModel(predictor: Predictor): ReturnModel {
  return {
    version: predictor.version,
    predictLogReturn: (values) => predictor.predict(values).logReturn,
  };
}

export class ModelProvider {
  private current: ReturnModel = randomWalkModel;
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

  get(): ReturnModel {
    return this.current;
  }

  /** Loads `models/current` if it is a different version; true when a new model was swapped in. */
  async refresh(): Promise<boolean> {
    try {
      const json = await this.store.getCurrent();
      if (json === undefined) return false;
      const predictor = Predictor.fromArtifact(json);
      if (predictor.version === this.current.version) return false;
      this.current = predictorModel(predictor);
      this.log('info', 'serving a newly promoted model', { version: predictor.version });
      return true;
    } catch (error) {
      // Keep serving what we have: a broken artifact must not stop predictions.
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
