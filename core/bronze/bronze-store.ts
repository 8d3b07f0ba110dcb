/**
 * The ports through which the poller, the archiver and the gap detector reach the bronze layer: write
 * an object of lines, read one back, list keys, and keep small JSON checkpoints. The S3 adapters are
 * in lambdas/shared/bronze/; tests can pass in-memory ones.
 */

export interface BronzeWriter {
  /** Writes the lines as one object at `key` (gzip NDJSON), replacing any object there. */
  write(key: string, lines: readonly unknown[]): Promise<void>;
}

export interface BronzeReader {
  /** Every key under `prefix` that sorts after `startAfter`, in key order. */
  list(prefix: string, startAfter?: string): Promise<string[]>;
  /** The lines of the object at `key`. */
  read<T = unknown>(key: string): Promise<T[]>;
}

export interface CheckpointStore {
  /** The checkpoint at `key`, or undefined when there is none yet. */
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
}
