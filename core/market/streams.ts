/**
 * The stream families of the pipeline, in one table: every list of streams in the tree (the
 * ingestor's routing and Binance subscriptions, the Kinesis streams in CDK and locally, their
 * environment variables, the raw-stream archive's bronze datasets, the gap detector's ledger)
 * derives from it. Adding a stream family is one row here, plus the code that handles its messages.
 *
 * A family is what travels on one Kinesis stream: depth20 snapshots ride with the diffs they check,
 * so one family may carry several SBE templates and Binance streams.
 */
import { STREAM_BESTBIDASK, STREAM_DEPTH, STREAM_TRADE } from '../config/environment-names.ts';
import { TemplateId } from '../sbe/abi.ts';

export interface StreamFamilySpec {
  /** SBE templates (stream schema 1) whose frames belong to this family. */
  readonly templateIds: readonly number[];
  /** Binance stream types subscribed per symbol: `<symbol>@<type>`. */
  readonly binanceStreams: readonly string[];
  /** Kinesis stream name before the environment suffix (`market-sbe-trade-prod`); also the local name. */
  readonly kinesisBaseName: string;
  /** The environment variable that hands the Kinesis stream's name to the runtime. */
  readonly streamNameVariable: string;
  /** Where the raw-stream archive writes its frames (docs/bronze-layout.md). */
  readonly bronzeDataset: `stream/${string}`;
  /** CDK construct id of the stream: a contract (renaming it replaces the stream). */
  readonly constructId: string;
}

export const STREAM_KINDS = ['trade', 'bestbidask', 'depth'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

export const STREAM_TABLE: { readonly [K in StreamKind]: StreamFamilySpec } = {
  trade: {
    templateIds: [TemplateId.Trades],
    binanceStreams: ['trade'],
    kinesisBaseName: 'market-sbe-trade',
    streamNameVariable: STREAM_TRADE,
    bronzeDataset: 'stream/trade',
    constructId: 'Trade',
  },
  bestbidask: {
    templateIds: [TemplateId.BestBidAsk],
    binanceStreams: ['bestBidAsk'],
    kinesisBaseName: 'market-sbe-bestbidask',
    streamNameVariable: STREAM_BESTBIDASK,
    bronzeDataset: 'stream/bestbidask',
    constructId: 'BestBidAsk',
  },
  depth: {
    templateIds: [TemplateId.DepthDiff, TemplateId.DepthSnapshot],
    binanceStreams: ['depth', 'depth20'],
    kinesisBaseName: 'market-sbe-depth',
    streamNameVariable: STREAM_DEPTH,
    bronzeDataset: 'stream/depth',
    constructId: 'Depth',
  },
};

const KIND_OF_TEMPLATE = new Map<number, StreamKind>(
  STREAM_KINDS.flatMap((kind) => STREAM_TABLE[kind].templateIds.map((id) => [id, kind] as const)),
);

/** The family an SBE template belongs to; undefined for templates the pipeline does not carry. */
export function streamKindOf(templateId: number): StreamKind | undefined {
  return KIND_OF_TEMPLATE.get(templateId);
}

/** Binance stream names for a symbol: lower-case symbol, camel-case stream type. */
export function binanceStreamNames(symbol: string): string[] {
  const s = symbol.toLowerCase();
  return STREAM_KINDS.flatMap((kind) => STREAM_TABLE[kind].binanceStreams.map((type) => `${s}@${type}`));
}

/** Kinesis stream names of every family: the base names (local runs) or with a suffix (`-prod`). */
export function kinesisStreamNames(suffix = ''): Record<StreamKind, string> {
  return Object.fromEntries(
    STREAM_KINDS.map((kind) => [kind, `${STREAM_TABLE[kind].kinesisBaseName}${suffix}`]),
  ) as Record<StreamKind, string>;
}

/**
 * The family of a Kinesis stream from its name (`market-sbe-trade-prod`, or a test's own name that
 * contains the family): the longest base name or kind it contains.
 */
export function streamKindOfStreamName(streamName: string): StreamKind | undefined {
  const name = streamName.toLowerCase();
  return STREAM_KINDS.find(
    (kind) => name.includes(STREAM_TABLE[kind].kinesisBaseName) || name.includes(kind),
  );
}
