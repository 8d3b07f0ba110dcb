/**
 * Where model artifacts live: the port the trainer writes through and the inference service reads
 * through. Layout (artifact.ts `modelKeys`): `models/<version>/model.json` and `metrics.json`, and the
 * champion copied to `models/current/` (one PUT of model.json: readers never see half a model; they
 * can poll its ETag / mtime to hot-reload). Adapters: lambdas/shared/model-store/.
 */
import type { ModelArtifact } from './artifact.ts';

export interface ModelStore {
  /** Writes `models/<version>/model.json` and `metrics.json`. */
  putVersion(artifact: ModelArtifact, metrics: unknown): Promise<void>;
  /** The artifact of one version (unparsed JSON), or undefined. */
  getVersion(version: string): Promise<unknown | undefined>;
  /** The champion's artifact (unparsed JSON), or undefined when nothing was promoted yet. */
  getCurrent(): Promise<unknown | undefined>;
  /** Copies a stored version to `models/current/` (metrics first, then the model). */
  promote(version: string): Promise<void>;
}
