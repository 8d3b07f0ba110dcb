/**
 * Where the inference service keeps each symbol's online learner between restarts (an `online` model
 * artifact, core/model/artifact.ts). Adapter: lambdas/shared/redis/redis-online-state-store.ts.
 */
import type { OnlineArtifact } from './artifact.ts';

export interface OnlineStateStore {
  /** The saved artifact (unparsed JSON), or undefined when none was saved. */
  load(symbol: string): Promise<unknown | undefined>;
  save(symbol: string, artifact: OnlineArtifact): Promise<void>;
}
