/** Where the connector reads bronze from (S3 in AWS, s3rver locally, a fake in tests). */

export interface BronzeObjectRef {
  key: string;
  etag?: string;
}

export interface ConnectorCheckpoint {
  /** The newest partition (`dt=…/hour=…`) fully listed and loaded. */
  partition: string;
  lastKey: string;
  loadedObjects: number;
  updatedAtUs: number;
}

export interface BronzeSource {
  /** Keys under `prefix` after `startAfter`, in key order. */
  list(prefix: string, startAfter?: string): AsyncIterable<BronzeObjectRef>;
  get(key: string): Promise<{ body: Uint8Array; etag?: string }>;
  /** `checkpoints/data-connector/<dataset>/symbol=<SYMBOL>.json` (docs/bronze-layout.md). */
  readCheckpoint(dataset: string, symbol: string): Promise<ConnectorCheckpoint | undefined>;
  writeCheckpoint(dataset: string, symbol: string, checkpoint: ConnectorCheckpoint): Promise<void>;
}
