/**
 * A local stand-in for Lambda's Kinesis event source mapping: polls every shard of a stream through
 * the real Kinesis client and invokes a handler with the event shape AWS sends (base64 data,
 * sequence numbers, approximate arrival time, event source ARN). Semantics as in AWS:
 * - in order per shard, one batch in flight per shard;
 * - a reported `batchItemFailures` entry checkpoints before that record and retries from it;
 * - a thrown error fails the whole batch;
 * - failed batches are bisected, and a record that still fails after `retryAttempts` retries goes
 *   to the on-failure destination (here a callback) and is skipped;
 * - the checkpoint per shard only moves past records that succeeded or were dead-lettered.
 */
import {
  type _Record,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { type BackoffPolicy, backoffDelayMs } from '../core/retry/backoff.ts';

/**
 * The delivery delay of the AWS mapping this source stands for (docs/adr/0100-aws-latency-budget.md):
 * `immediate` polls every few ms (the local default); `polling` is Lambda's standard iterator, which
 * polls each shard about once a second when it has caught up; `fan-out` is an enhanced fan-out
 * consumer, to which Kinesis pushes each record about 70 ms after it was put.
 */
export type DeliveryMode = 'immediate' | 'polling' | 'fan-out';
export const STANDARD_POLL_INTERVAL_MS = 1000;
export const FAN_OUT_PUSH_DELAY_MS = 70;

/** Pause before retrying a failed batch (full jitter). */
const RETRY_BACKOFF: BackoffPolicy = { baseMs: 50, capMs: 2000 };

export type KinesisHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>;

export interface DeadLetter {
  streamName: string;
  shardId: string;
  sequenceNumber: string;
  attempts: number;
  reason: string;
}

export interface EventSourceOptions {
  client: KinesisClient;
  streamName: string;
  handler: KinesisHandler;
  region: string;
  /** @default 100 */
  batchSize?: number;
  /**
   * Lambda's MaximumBatchingWindowInSeconds: wait this long after the first record for a fuller
   * batch (latency traded for fewer invocations, and for fewer S3 objects in the archiver). @default 0
   */
  batchingWindowMs?: number;
  /** Retries of a failing record before it is dead-lettered. @default 3 */
  retryAttempts?: number;
  /** Pause when a shard has nothing new: short locally, where latency is measured. @default 5 */
  idlePollMs?: number;
  /** @default 'immediate' (`polling` sets the idle pause to STANDARD_POLL_INTERVAL_MS) */
  delivery?: DeliveryMode;
  /** @default { baseMs: 50, capMs: 2000 } */
  retryBackoff?: BackoffPolicy;
  onDeadLetter?(letter: DeadLetter): void;
  log?(level: 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
  /** The clock of the batching window (ms); tests hold it still to assert the window's behaviour. @default Date.now */
  nowMs?: () => number;
}

interface ShardState {
  shardId: string;
  /** When the oldest record waiting in the queue arrived here (for the batching window). */
  waitingSinceMs: number | undefined;
  iterator: string | undefined;
  queue: _Record[];
  /** Retries of the record at the head of the queue. */
  headAttempts: number;
  /** Batch size after bisection (reset on success). */
  size: number;
  checkpoint: string | undefined;
}

export class KinesisEventSource {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly shards: ShardState[] = [];
  invocations = 0;
  recordsDelivered = 0;
  private readonly nowMs: () => number;

  /** Records read from the shards and not yet handed to the handler. */
  get queued(): number {
    return this.shards.reduce((n, s) => n + s.queue.length, 0);
  }
  failedBatches = 0;
  deadLettered = 0;

  constructor(private readonly o: EventSourceOptions) {
    this.nowMs = o.nowMs ?? Date.now;
  }

  async start(): Promise<void> {
    const { Shards = [] } = await this.o.client.send(
      new ListShardsCommand({ StreamName: this.o.streamName }),
    );
    for (const shard of Shards) {
      const { ShardIterator } = await this.o.client.send(
        new GetShardIteratorCommand({
          StreamName: this.o.streamName,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      this.shards.push({
        shardId: shard.ShardId as string,
        waitingSinceMs: undefined,
        iterator: ShardIterator,
        queue: [],
        headAttempts: 0,
        size: this.o.batchSize ?? 100,
        checkpoint: undefined,
      });
    }
    this.running = true;
    this.loops = this.shards.map((s) => this.poll(s));
  }

  /** Stops after the batches in flight; resolves when every shard loop has ended. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Sequence number of the last record each shard has finished with. */
  checkpoints(): Record<string, string | undefined> {
    return Object.fromEntries(this.shards.map((s) => [s.shardId, s.checkpoint]));
  }

  /** Resolves once every record put so far has been handled (tests, graceful shutdown). */
  async drain(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const pending = await Promise.all(this.shards.map((s) => this.hasMore(s)));
      if (!pending.includes(true)) return true;
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  }

  private async hasMore(s: ShardState): Promise<boolean> {
    if (s.queue.length > 0) return true;
    if (!s.iterator) return false;
    // Peek without consuming: a fresh iterator after the checkpoint.
    const { ShardIterator } = await this.o.client.send(
      new GetShardIteratorCommand({
        StreamName: this.o.streamName,
        ShardId: s.shardId,
        ...(s.checkpoint
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: s.checkpoint }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    const { Records = [] } = await this.o.client.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
    return Records.length > 0;
  }

  private async poll(s: ShardState): Promise<void> {
    const batchSize = this.o.batchSize ?? 100;
    const windowMs = this.o.batchingWindowMs ?? 0;
    while (this.running) {
      try {
        if (s.queue.length < batchSize && s.iterator) {
          const page = await this.o.client.send(
            new GetRecordsCommand({ ShardIterator: s.iterator, Limit: Math.max(batchSize, 100) }),
          );
          s.iterator = page.NextShardIterator;
          const fresh = page.Records ?? [];
          if (fresh.length > 0 && s.queue.length === 0) s.waitingSinceMs = this.nowMs();
          s.queue.push(...fresh);
        }
        if (s.queue.length === 0 && !s.iterator) return; // the shard was closed (resharded)
        const windowOpen =
          s.queue.length < batchSize &&
          s.waitingSinceMs !== undefined &&
          this.nowMs() - s.waitingSinceMs < windowMs;
        const deliverable = this.deliverable(s.queue);
        if (deliverable === 0 || windowOpen) {
          const idleMs = this.o.delivery === 'polling' ? STANDARD_POLL_INTERVAL_MS : (this.o.idlePollMs ?? 5);
          await new Promise((r) => setTimeout(r, s.queue.length === 0 ? idleMs : (this.o.idlePollMs ?? 5)));
          continue;
        }
        await this.invoke(s, deliverable);
        s.waitingSinceMs = s.queue.length > 0 ? this.nowMs() : undefined;
      } catch (error) {
        this.o.log?.('error', 'event source poll failed; retrying', {
          shardId: s.shardId,
          error: String(error),
        });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** How many records at the head of the queue may be delivered now (fan-out: pushed 70 ms after the put). */
  private deliverable(queue: _Record[]): number {
    if (this.o.delivery !== 'fan-out') return queue.length;
    const pushedBeforeMs = Date.now() - FAN_OUT_PUSH_DELAY_MS;
    const held = queue.findIndex((r) => (r.ApproximateArrivalTimestamp?.getTime() ?? 0) > pushedBeforeMs);
    return held < 0 ? queue.length : held;
  }

  private async invoke(s: ShardState, deliverable: number): Promise<void> {
    const batch = s.queue.slice(0, Math.min(s.size, deliverable));
    this.invocations++;
    let failedAt = -1;
    let reason = '';
    try {
      const response = await this.o.handler({ Records: batch.map((r) => this.toEventRecord(s.shardId, r)) });
      const failures = response?.batchItemFailures ?? [];
      if (failures.length > 0) {
        // AWS resumes from the lowest failed sequence number.
        const ids = new Set(failures.map((f) => f.itemIdentifier));
        failedAt = batch.findIndex((r) => ids.has(r.SequenceNumber as string));
        if (failedAt < 0) failedAt = 0;
        reason = 'reported in batchItemFailures';
      }
    } catch (error) {
      failedAt = 0;
      reason = String(error);
    }
    const done = failedAt < 0 ? batch.length : failedAt;
    if (done > 0) {
      this.recordsDelivered += done;
      s.checkpoint = batch[done - 1]?.SequenceNumber;
      s.queue.splice(0, done);
      s.headAttempts = 0;
    }
    if (failedAt < 0) {
      s.size = this.o.batchSize ?? 100;
      return;
    }
    this.failedBatches++;
    s.headAttempts++;
    if (s.headAttempts > (this.o.retryAttempts ?? 3) && s.size === 1) {
      const record = s.queue.shift() as _Record;
      this.deadLettered++;
      s.checkpoint = record.SequenceNumber;
      this.o.onDeadLetter?.({
        streamName: this.o.streamName,
        shardId: s.shardId,
        sequenceNumber: record.SequenceNumber as string,
        attempts: s.headAttempts,
        reason,
      });
      s.headAttempts = 0;
      s.size = this.o.batchSize ?? 100;
      return;
    }
    // Bisect on error: retry with half the batch, down to the failing record alone, after a pause
    // that grows with the attempts so that a brief outage (Redis restarting) costs no dead letters.
    s.size = Math.max(1, Math.floor(Math.min(s.size, batch.length - done) / 2));
    await new Promise((r) =>
      setTimeout(r, backoffDelayMs(this.o.retryBackoff ?? RETRY_BACKOFF, s.headAttempts)),
    );
  }

  private toEventRecord(shardId: string, r: _Record): KinesisStreamRecord {
    const account = '000000000000';
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.PartitionKey as string,
        sequenceNumber: r.SequenceNumber as string,
        data: Buffer.from(r.Data as Uint8Array).toString('base64'),
        approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${r.SequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${account}:role/local-event-source`,
      awsRegion: this.o.region,
      eventSourceARN: `arn:aws:kinesis:${this.o.region}:${account}:stream/${this.o.streamName}`,
    };
  }
}
