/**
 * The three Kinesis streams of packed SBE frames (core/envelope/), one per stream family, with
 * partition key = symbol. Encrypted with the AWS-managed Kinesis key: no key policy to maintain and
 * consumers need no extra KMS grant.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { STREAM_KINDS, STREAM_TABLE, type StreamKind } from '../../core/market/streams.ts';
import type { StreamCapacity } from '../config/environment-config.ts';
import { isIntIn, settingChecker } from '../invalid-setting.ts';

/**
 * The stream families as CDK sees them, derived from the one stream table (core/market/streams.ts):
 * construct ids, base names and environment variables are a contract.
 */
export const MARKET_STREAMS = Object.fromEntries(
  STREAM_KINDS.map((kind) => {
    const spec = STREAM_TABLE[kind];
    return [kind, { id: spec.constructId, baseName: spec.kinesisBaseName, envName: spec.streamNameVariable }];
  }),
) as {
  readonly [K in StreamKind]: { readonly id: string; readonly baseName: string; readonly envName: string };
};

export type MarketStreamKind = StreamKind;

export interface MarketStreamsProps {
  /** Appended to each base name (`market-sbe-trade-dev`) so environments can share an account. */
  readonly nameSuffix: string;
  readonly capacity: StreamCapacity;
  readonly retention: Duration;
  readonly removalPolicy: RemovalPolicy;
}

export class MarketStreams extends Construct {
  private readonly byKind: Record<StreamKind, Stream>;

  public constructor(scope: Construct, id: string, props: MarketStreamsProps) {
    super(scope, id);
    const hours = props.retention.toHours();
    const check = settingChecker(`MarketStreams ${id}`);
    check(
      isIntIn(hours, 24, 8760),
      'retention',
      props.retention.toHumanString(),
      'Kinesis keeps 24 to 8760 whole hours',
    );
    if (props.capacity.mode === 'provisioned') {
      const shards = props.capacity.shardCount;
      check(
        isIntIn(shards, 1, 500),
        'capacity.shardCount',
        shards,
        'need 1 to 500 (the default shard quota)',
      );
    }
    const make = (kind: StreamKind): Stream => {
      const spec = MARKET_STREAMS[kind];
      return new Stream(this, spec.id, {
        streamName: `${spec.baseName}-${props.nameSuffix}`,
        encryption: StreamEncryption.MANAGED,
        retentionPeriod: Duration.hours(hours),
        ...(props.capacity.mode === 'on-demand'
          ? { streamMode: StreamMode.ON_DEMAND }
          : { streamMode: StreamMode.PROVISIONED, shardCount: props.capacity.shardCount }),
        removalPolicy: props.removalPolicy,
      });
    };
    this.byKind = Object.fromEntries(STREAM_KINDS.map((kind) => [kind, make(kind)])) as Record<
      StreamKind,
      Stream
    >;
  }

  /** The stream of one family. */
  public stream(kind: StreamKind): Stream {
    return this.byKind[kind];
  }

  /** The streams with their kind, in the table's order. */
  public all(): ReadonlyArray<{ readonly kind: StreamKind; readonly stream: Stream }> {
    return STREAM_KINDS.map((kind) => ({ kind, stream: this.byKind[kind] }));
  }

  /** STREAM_TRADE, STREAM_BESTBIDASK, STREAM_DEPTH → stream names. */
  public environment(): Record<string, string> {
    return Object.fromEntries(
      this.all().map(({ kind, stream }) => [MARKET_STREAMS[kind].envName, stream.streamName]),
    );
  }

  /**
   * PutRecord and PutRecords on all three streams, nothing else (the ingestor). Narrower than
   * `Stream.grantWrite`, which adds `kinesis:ListShards` for shard-aware producers: ours only names a
   * partition key, and Kinesis picks the shard.
   */
  public grantWrite(grantee: IGrantable): void {
    for (const { stream } of this.all()) {
      stream.grant(grantee, 'kinesis:PutRecord', 'kinesis:PutRecords');
      // No-op with the AWS-managed key; keeps writers working if a customer key is ever chosen.
      stream.encryptionKey?.grantEncrypt(grantee);
    }
  }
}
