/**
 * The three Kinesis streams of packed SBE frames (core/envelope/), one per stream family, with
 * partition key = symbol. Encrypted with the AWS-managed Kinesis key: no key policy to maintain and
 * consumers need no extra KMS grant.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { STREAM_BESTBIDASK, STREAM_DEPTH, STREAM_TRADE } from '../../core/config/environment-names.ts';
import type { StreamCapacity } from '../config/environment-config.ts';

/** The stream families: construct ids, base names and environment variables are a contract. */
export const MARKET_STREAMS = {
  trade: { id: 'Trade', baseName: 'market-sbe-trade', envName: STREAM_TRADE },
  bestBidAsk: { id: 'BestBidAsk', baseName: 'market-sbe-bestbidask', envName: STREAM_BESTBIDASK },
  depth: { id: 'Depth', baseName: 'market-sbe-depth', envName: STREAM_DEPTH },
} as const;

export type MarketStreamKind = keyof typeof MARKET_STREAMS;

export interface MarketStreamsProps {
  /** Appended to each base name (`market-sbe-trade-dev`) so environments can share an account. */
  readonly nameSuffix: string;
  readonly capacity: StreamCapacity;
  readonly retention: Duration;
  readonly removalPolicy: RemovalPolicy;
}

export class MarketStreams extends Construct {
  public readonly trade: Stream;
  public readonly bestBidAsk: Stream;
  public readonly depth: Stream;

  public constructor(scope: Construct, id: string, props: MarketStreamsProps) {
    super(scope, id);
    const hours = props.retention.toHours();
    if (!Number.isInteger(hours) || hours < 24 || hours > 8760) {
      throw new Error(
        `MarketStreams ${id}: invalid retention ${props.retention.toHumanString()}: need 24 to 8760 whole hours.`,
      );
    }
    const make = (kind: MarketStreamKind): Stream => {
      const spec = MARKET_STREAMS[kind];
      const stream = new Stream(this, spec.id, {
        streamName: `${spec.baseName}-${props.nameSuffix}`,
        encryption: StreamEncryption.MANAGED,
        retentionPeriod: Duration.hours(hours),
        ...(props.capacity.mode === 'on-demand'
          ? { streamMode: StreamMode.ON_DEMAND }
          : { streamMode: StreamMode.PROVISIONED, shardCount: props.capacity.shardCount }),
        removalPolicy: props.removalPolicy,
      });
      return stream;
    };
    this.trade = make('trade');
    this.bestBidAsk = make('bestBidAsk');
    this.depth = make('depth');
  }

  /** The streams with their kind, in a stable order. */
  public all(): ReadonlyArray<{ readonly kind: MarketStreamKind; readonly stream: Stream }> {
    return [
      { kind: 'trade', stream: this.trade },
      { kind: 'bestBidAsk', stream: this.bestBidAsk },
      { kind: 'depth', stream: this.depth },
    ];
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
