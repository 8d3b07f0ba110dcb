/**
 * The Lambdas behind the streams: the aggregator (one function consuming the three market streams
 * into the Redis hot state), the re-anchor it invokes asynchronously to rebuild a book from a REST
 * snapshot, the raw-stream archiver (the three streams into bronze), and three scheduled jobs: the
 * REST poller and the gap detector every minute, the data connector (bronze → Aurora) every five.
 * All run in the compute subnets: those that talk to Redis with `computeSecurityGroup` (the group the
 * Data stack lets into Redis), the others with a group that lets out HTTPS only. Stateless: every
 * stateful resource comes from the Data stack through its grants and `runtimeEnvironment()`.
 *
 * Adding a function: lib/README.md ("What lands next").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, GraphWidget, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { type ISecurityGroup, type IVpc, Peer, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  BINANCE_REST_URL,
  BRONZE_BUCKET,
  DB_CLUSTER_ARN,
  DB_NAME,
  DB_SECRET_ARN,
  REANCHOR_FUNCTION_NAME,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { GAP_REASONS } from '../../core/gaps/gap-findings.ts';
import type { EnvironmentConfig } from '../config/environment-config.ts';
import { AggregatorMonitoring } from '../constructs/aggregator-monitoring.ts';
import {
  iteratorAgeAlarm,
  KinesisConsumer,
  type KinesisConsumerProps,
} from '../constructs/kinesis-consumer.ts';
import { MARKET_STREAMS, type MarketStreamKind } from '../constructs/market-streams.ts';
import { type LabelledStream, Observability, powertoolsMetric } from '../constructs/observability.ts';
import {
  type BundledAsset,
  PipelineFunction,
  type PipelineFunctionProps,
  PROJECT_ROOT,
} from '../constructs/pipeline-function.ts';
import { ScheduledFunction } from '../constructs/scheduled-function.ts';
import type { DataStack } from './data-stack.ts';
import { SUBNETS } from './network-stack.ts';

/** Handler entries, relative to the repository root. */
export const PROCESSING_ENTRIES = {
  aggregator: 'lambdas/aggregator/index.ts',
  reanchor: 'lambdas/re-anchor/index.ts',
  restPoller: 'lambdas/rest-poller/index.ts',
  gapDetector: 'lambdas/gap-detector/index.ts',
  dataConnector: 'lambdas/data-connector/index.ts',
  streamArchiver: 'lambdas/stream-archiver/index.ts',
} as const;

/** Bronze key prefixes (core/bronze/bronze-keys.ts): data, and the jobs' resume points. */
export const BRONZE_PREFIXES = { data: 'bronze/*', checkpoints: 'checkpoints/*' } as const;

/** The data connector's SQL migrations, loaded from `./migrations/` next to its bundle. */
export const DATA_CONNECTOR_MIGRATIONS = 'lambdas/data-connector/migrations';

/**
 * The SBE decoder, next to `index.mjs`: the aggregator, the re-anchor and the archiver load
 * `new URL('./sbe_decoder.wasm', import.meta.url)`. Built by `npm run build:native`; synth fails
 * if it is missing.
 */
export const SBE_DECODER_ASSET: BundledAsset = {
  from: 'native/dist/sbe_decoder.wasm',
  to: 'sbe_decoder.wasm',
};

/** The Data stack's variables the aggregator reads (it has grants on exactly these resources). */
const AGGREGATOR_DATA_VARIABLES = [SYMBOLS, REDIS_URL, REDIS_AUTH_SECRET_ARN] as const;
/** The re-anchor's: Redis, and bronze for the snapshots it anchors on (it is told the symbol). */
const REANCHOR_DATA_VARIABLES = [REDIS_URL, REDIS_AUTH_SECRET_ARN, BRONZE_BUCKET] as const;
/**
 * The REST poller's (its weight share, depth cadence and look-back keep the handler's defaults);
 * Redis for the IP's shared REST budget and Retry-After gate (ADR 0075).
 */
const REST_POLLER_DATA_VARIABLES = [SYMBOLS, BRONZE_BUCKET, REDIS_URL, REDIS_AUTH_SECRET_ARN] as const;
/** The gap detector's (its silence and volume tolerances keep the handler's defaults). */
const GAP_DETECTOR_DATA_VARIABLES = [SYMBOLS, BRONZE_BUCKET, REDIS_URL, REDIS_AUTH_SECRET_ARN] as const;
const DATA_CONNECTOR_DATA_VARIABLES = [
  SYMBOLS,
  BRONZE_BUCKET,
  DB_CLUSTER_ARN,
  DB_SECRET_ARN,
  DB_NAME,
] as const;
const ARCHIVER_DATA_VARIABLES = [BRONZE_BUCKET] as const;

/**
 * Asynchronous retries of a failed re-anchor (Lambda waits about 1 and then 2 minutes): transient
 * REST or Redis errors pass; a persistent failure is alarmed on, and the book stays marked stale so
 * the aggregator (and the gap detector, when it lands) asks again.
 */
const REANCHOR_RETRY_ATTEMPTS = 2;
/**
 * A request older than this is dropped (and alarmed on): by then the aggregator has requested again
 * for as long as the book is stale, so an old request would only re-fetch a snapshot for nothing.
 */
const REANCHOR_MAX_EVENT_AGE = Duration.minutes(5);
/**
 * One run at a time for the scheduled jobs: two overlapping runs would race on the same checkpoints
 * (and, for the poller, spend the Binance weight budget twice). A tick that finds one running is
 * throttled and dropped after its one-minute event age; the next resumes from the checkpoint.
 */
const SCHEDULED_JOB_CONCURRENCY = 1;
/** A dropped tick is the designed outcome of an overrunning run (above), not an incident in itself. */
const SCHEDULED_JOB_THROTTLES_TOLERATED = 2;

export interface ProcessingStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly vpc: IVpc;
  /** The group the Data stack lets into Redis (NetworkStack.computeSecurityGroup). */
  readonly computeSecurityGroup: ISecurityGroup;
  /** Streams to read, Redis to reach, the bronze bucket, and their runtime variables. */
  readonly data: DataStack;
  /** Where the processing alarms go (the Observability stack's topic). */
  readonly alarmTopic: ITopic;
}

export class ProcessingStack extends Stack {
  public readonly aggregator: PipelineFunction;
  /** The aggregator's, one per market stream in `MarketStreams.all()` order, ids `<Kind>Consumer`. */
  public readonly consumers: readonly KinesisConsumer[];
  public readonly reanchor: PipelineFunction;
  public readonly restPoller: ScheduledFunction;
  public readonly gapDetector: ScheduledFunction;
  public readonly dataConnector: ScheduledFunction;
  public readonly archiver: PipelineFunction;
  /** The archiver's, one per market stream, ids `<Kind>ArchiveConsumer`. */
  public readonly archiveConsumers: readonly KinesisConsumer[];
  /** No ingress, egress HTTPS only: the functions that never talk to Redis (poller, connector, archiver). */
  public readonly httpsEgressSecurityGroup: SecurityGroup;
  public readonly observability: Observability;
  /** The aggregator's and the re-anchor's alarms and graphs. */
  public readonly monitoring: AggregatorMonitoring;
  private readonly props: ProcessingStackProps;
  private readonly streams: readonly LabelledStream[];

  public constructor(scope: Construct, id: string, props: ProcessingStackProps) {
    super(scope, id, props);
    this.props = props;
    const { config, data } = props;
    this.streams = data.streams.all().map(({ kind }) => this.labelled(kind));

    this.httpsEgressSecurityGroup = new SecurityGroup(this, 'HttpsEgressSecurityGroup', {
      vpc: props.vpc,
      description:
        'Processing Lambdas that never talk to Redis: no ingress; egress HTTPS (AWS APIs, Binance REST).',
      allowAllOutbound: false,
    });
    // S3 (gateway endpoint), AWS APIs (interface endpoints or NAT), Binance REST (NAT): all HTTPS.
    this.httpsEgressSecurityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS');

    this.observability = new Observability(this, 'Observability', {
      alarmTopic: props.alarmTopic,
      dashboardName: `${config.prefix}-processing`,
      thresholds: config.alarms,
      description: `# ${config.prefix} processing\\nAggregator (Kinesis → Redis) per stream, re-anchors, REST poller, stream archiver. Stream ingest rates are on the overview dashboard.`,
    });

    this.reanchor = this.buildReanchor();
    this.aggregator = this.buildAggregator(this.reanchor);
    this.consumers = this.consume(this.aggregator, 'Consumer', {
      batchSize: config.consumer.batchSize,
      maxBatchingWindow: config.consumer.maxBatchingWindow,
      startingPosition: StartingPosition.LATEST,
      enhancedFanOut: config.consumer.enhancedFanOut,
    });
    // Id 'Default': CDK leaves it out of logical ids, so these alarms keep the ids they had when
    // this stack added them to the Observability construct itself.
    this.monitoring = new AggregatorMonitoring(this.observability, 'Default', {
      observability: this.observability,
      thresholds: config.alarms,
      aggregator: this.aggregator,
      reanchor: this.reanchor,
      streams: this.streams,
      depthStream: this.labelled('depth'),
    });
    this.restPoller = this.buildRestPoller();
    this.gapDetector = this.buildGapDetector();
    this.dataConnector = this.buildDataConnector();
    this.archiver = this.buildArchiver();
    // Bronze is the replayable record: a new archiver starts from the oldest retained record.
    this.archiveConsumers = this.consume(this.archiver, 'ArchiveConsumer', {
      batchSize: config.processing.archiver.batchSize,
      maxBatchingWindow: config.processing.archiver.maxBatchingWindow,
      startingPosition: StartingPosition.TRIM_HORIZON,
      // Objects are keyed by the batch's sequence range: a retry must cover the same range to
      // overwrite them, so failed batches are retried whole, never bisected.
      bisectBatchOnError: false,
      // Large, slow batches: a push ~1 s sooner buys bronze nothing, and would cost a consumer.
      enhancedFanOut: false,
    });
    this.watchArchiver();
  }

  /** Settings shared by every function of the stack: compute subnets (NAT egress), env, logs. */
  private functionDefaults(
    securityGroup: ISecurityGroup,
  ): Pick<
    PipelineFunctionProps,
    'pipelineEnv' | 'logLevel' | 'logRetention' | 'vpc' | 'vpcSubnets' | 'securityGroups'
  > {
    const { config } = this.props;
    return {
      pipelineEnv: config.name,
      logLevel: config.logLevel,
      logRetention: config.logRetention,
      vpc: this.props.vpc,
      vpcSubnets: { subnetGroupName: SUBNETS.compute },
      securityGroups: [securityGroup],
    };
  }

  private labelled(kind: MarketStreamKind): LabelledStream {
    return { label: MARKET_STREAMS[kind].baseName, stream: this.props.data.streams.stream(kind) };
  }

  private buildReanchor(): PipelineFunction {
    const { config, data, computeSecurityGroup } = this.props;
    const size = config.processing.reanchor;
    const reanchor = new PipelineFunction(this, 'ReAnchor', {
      ...this.functionDefaults(computeSecurityGroup),
      entry: PROCESSING_ENTRIES.reanchor,
      serviceName: 're-anchor',
      description:
        'Rebuilds a symbol book in Redis from a Binance REST snapshot (async, from the aggregator); archives the snapshot to bronze.',
      memorySize: size.memoryMiB,
      timeout: size.timeout,
      reservedConcurrentExecutions: size.reservedConcurrency,
      retryAttempts: REANCHOR_RETRY_ATTEMPTS,
      maxEventAge: REANCHOR_MAX_EVENT_AGE,
      bundledAssets: [SBE_DECODER_ASSET],
      environment: {
        ...data.runtimeEnvironment(REANCHOR_DATA_VARIABLES),
        [BINANCE_REST_URL]: config.processing.binanceRestUrl,
      },
    });
    data.cache.grantConnect(reanchor);
    this.props.data.lake.grantPrefixes(reanchor, 'bronze', { read: [], put: [BRONZE_PREFIXES.data] });
    return reanchor;
  }

  private buildAggregator(reanchor: PipelineFunction): PipelineFunction {
    const { config, data, computeSecurityGroup } = this.props;
    const size = config.processing.aggregator;
    const aggregator = new PipelineFunction(this, 'Aggregator', {
      ...this.functionDefaults(computeSecurityGroup),
      entry: PROCESSING_ENTRIES.aggregator,
      serviceName: 'aggregator',
      description: 'Kinesis SBE frames (trade, bestBidAsk, depth) into the Redis hot state.',
      memorySize: size.memoryMiB,
      timeout: size.timeout,
      bundledAssets: [SBE_DECODER_ASSET],
      environment: {
        ...data.runtimeEnvironment(AGGREGATOR_DATA_VARIABLES),
        [REANCHOR_FUNCTION_NAME]: reanchor.functionName,
      },
    });
    data.cache.grantConnect(aggregator);
    this.grantInvokeReanchor(aggregator, reanchor);
    return aggregator;
  }

  /** `lambda:InvokeFunction` on the re-anchor only, its cdk-nag finding acknowledged. */
  private grantInvokeReanchor(fn: PipelineFunction, reanchor: PipelineFunction = this.reanchor): void {
    reanchor.grantInvoke(fn);
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(reanchor.node.defaultChild as never)}.Arn>:*]`,
      reason:
        'Function.grantInvoke adds the versions and aliases of the one re-anchor function (arn:…:function:name:*); nothing else.',
    });
  }

  /** One KinesisConsumer per market stream for `fn` (read grants, on-failure queue and its alarm). */
  private consume(
    fn: IFunction,
    suffix: string,
    batching: Pick<
      KinesisConsumerProps,
      'batchSize' | 'maxBatchingWindow' | 'startingPosition' | 'bisectBatchOnError'
    > &
      Required<Pick<KinesisConsumerProps, 'enhancedFanOut'>>,
  ): KinesisConsumer[] {
    const { config, data } = this.props;
    return data.streams.all().map(({ kind, stream }) => {
      const consumer = new KinesisConsumer(this, `${MARKET_STREAMS[kind].id}${suffix}`, {
        stream,
        function: fn,
        // Every field of config.consumer but what `batching` sets (enhancedFanOut among them).
        ...config.consumer,
        ...batching,
        // Named after the function's stack-unique id: one consumer per function and stream.
        consumerName: `${config.prefix}-${MARKET_STREAMS[kind].baseName}-${suffix.toLowerCase()}`,
        // IteratorAge and Errors are per function, not per stream: alarmed on once per function.
        functionAlarms: false,
        // The lag of an enhanced fan-out consumer, per stream, at the same threshold.
        iteratorAgeThreshold: Duration.millis(config.alarms.iteratorAgeMs),
      });
      this.observability.addKinesisConsumer(consumer);
      return consumer;
    });
  }

  private buildRestPoller(): ScheduledFunction {
    const { config, data, computeSecurityGroup } = this.props;
    const size = config.processing.restPoller;
    const poller = new ScheduledFunction(this, 'RestPoller', {
      schedule: Schedule.rate(Duration.minutes(1)),
      function: {
        // Redis (the shared REST budget) as well as HTTPS: the group the Data stack lets into Redis.
        ...this.functionDefaults(computeSecurityGroup),
        entry: PROCESSING_ENTRIES.restPoller,
        serviceName: 'rest-poller',
        description: 'Binance REST (aggTrades, klines, depth) into bronze, resumable from checkpoints.',
        memorySize: size.memoryMiB,
        timeout: size.timeout,
        reservedConcurrentExecutions: SCHEDULED_JOB_CONCURRENCY,
        environment: {
          ...data.runtimeEnvironment(REST_POLLER_DATA_VARIABLES),
          [BINANCE_REST_URL]: config.processing.binanceRestUrl,
        },
      },
    });
    data.cache.grantConnect(poller.function);
    // Reads bronze to adopt an object written before a crash (core/bronze/resume-point.ts).
    this.props.data.lake.grantPrefixes(poller.function, 'bronze', {
      read: [BRONZE_PREFIXES.data, BRONZE_PREFIXES.checkpoints],
      put: [BRONZE_PREFIXES.data, BRONZE_PREFIXES.checkpoints],
    });

    this.observability.addLambdaAlarms(poller.function, {
      id: 'RestPoller',
      throttlesThreshold: SCHEDULED_JOB_THROTTLES_TOLERATED,
    });
    const fn = poller.function;
    this.observability.addAlarms(
      // 418: Binance banned the IP for ignoring 429s. The re-anchor shares it behind the NAT, so
      // books cannot be rebuilt until the ban (2 minutes to 3 days) ends. Never normal.
      new Alarm(this.observability, 'RestPollerBanned', {
        alarmDescription: 'rest-poller: Binance answered 418 (IP banned); re-anchors share the IP.',
        metric: powertoolsMetric(fn, 'Banned418', { period: Duration.minutes(5) }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    this.observability.addWidgets(
      new GraphWidget({
        title: 'rest-poller: requests and weight',
        left: [powertoolsMetric(fn, 'Requests'), powertoolsMetric(fn, 'WeightSpent')],
        right: [
          powertoolsMetric(fn, 'RateLimited429'),
          powertoolsMetric(fn, 'Banned418'),
          powertoolsMetric(fn, 'ServerErrors'),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'rest-poller: bronze',
        left: [
          powertoolsMetric(fn, 'AggTrades'),
          powertoolsMetric(fn, 'Klines'),
          powertoolsMetric(fn, 'DepthSnapshots'),
        ],
        right: [powertoolsMetric(fn, 'RestAggTradeGaps'), powertoolsMetric(fn, 'StoppedEarly')],
        width: 12,
      }),
    );
    return poller;
  }

  private buildGapDetector(): ScheduledFunction {
    const { config, data, computeSecurityGroup } = this.props;
    const size = config.processing.gapDetector;
    const detector = new ScheduledFunction(this, 'GapDetector', {
      schedule: Schedule.rate(Duration.minutes(1)),
      function: {
        ...this.functionDefaults(computeSecurityGroup),
        entry: PROCESSING_ENTRIES.gapDetector,
        serviceName: 'gap-detector',
        description:
          'Sequence, time, trade-id and volume gaps: re-anchors, REST back-fills, completeness ledger.',
        memorySize: size.memoryMiB,
        timeout: size.timeout,
        reservedConcurrentExecutions: SCHEDULED_JOB_CONCURRENCY,
        bundledAssets: [SBE_DECODER_ASSET],
        environment: {
          ...data.runtimeEnvironment(GAP_DETECTOR_DATA_VARIABLES),
          [REANCHOR_FUNCTION_NAME]: this.reanchor.functionName,
          [BINANCE_REST_URL]: config.processing.binanceRestUrl,
        },
      },
    });
    const fn = detector.function;
    data.cache.grantConnect(fn);
    this.grantInvokeReanchor(fn);
    // Reads the archived streams and REST truth; writes back-fills and the ledger (bronze/), its state.
    this.props.data.lake.grantPrefixes(fn, 'bronze', {
      read: [BRONZE_PREFIXES.data, BRONZE_PREFIXES.checkpoints],
      put: [BRONZE_PREFIXES.data, BRONZE_PREFIXES.checkpoints],
    });

    this.observability.addLambdaAlarms(fn, {
      id: 'GapDetector',
      throttlesThreshold: SCHEDULED_JOB_THROTTLES_TOLERATED,
    });
    const perSymbol = (metricName: string) =>
      config.symbols.map((symbol) =>
        powertoolsMetric(fn, metricName, { dimensions: { symbol }, label: `${symbol} ${metricName}` }),
      );
    this.observability.addWidgets(
      new GraphWidget({
        title: 'gap-detector: gaps by reason',
        left: GAP_REASONS.flatMap((reason) => perSymbol(`Gap_${reason}`)),
        width: 12,
      }),
      new GraphWidget({
        title: 'gap-detector: re-anchors requested, back-filled objects',
        left: perSymbol('ReanchorsRequested'),
        right: perSymbol('BackfilledObjects'),
        width: 12,
      }),
    );
    return detector;
  }

  private buildDataConnector(): ScheduledFunction {
    const { config, data } = this.props;
    const size = config.processing.dataConnector;
    const connector = new ScheduledFunction(this, 'DataConnector', {
      schedule: Schedule.rate(Duration.minutes(5)),
      function: {
        // The Data API is an HTTPS endpoint: no Postgres port is opened anywhere.
        ...this.functionDefaults(this.httpsEgressSecurityGroup),
        entry: PROCESSING_ENTRIES.dataConnector,
        serviceName: 'data-connector',
        description:
          'Bronze objects into Aurora PostgreSQL through the Data API, resumable from checkpoints.',
        memorySize: size.memoryMiB,
        timeout: size.timeout,
        reservedConcurrentExecutions: SCHEDULED_JOB_CONCURRENCY,
        bundledAssets: migrationAssets(),
        environment: data.runtimeEnvironment(DATA_CONNECTOR_DATA_VARIABLES),
      },
    });
    const fn = connector.function;
    data.warehouse.grantDataApiAccess(fn);
    this.props.data.lake.grantPrefixes(fn, 'bronze', {
      read: [BRONZE_PREFIXES.data, BRONZE_PREFIXES.checkpoints],
      put: [BRONZE_PREFIXES.checkpoints],
    });

    this.observability.addLambdaAlarms(fn, {
      id: 'DataConnector',
      throttlesThreshold: SCHEDULED_JOB_THROTTLES_TOLERATED,
    });
    const scheduled = (metricName: string) =>
      powertoolsMetric(fn, metricName, { dimensions: { trigger: 'schedule' }, period: Duration.minutes(5) });
    this.observability.addWidgets(
      new GraphWidget({
        title: 'data-connector: objects',
        left: [scheduled('ObjectsLoaded'), scheduled('ObjectsUnchanged')],
        right: [scheduled('ObjectsFailed')],
        width: 12,
      }),
      new GraphWidget({
        title: 'data-connector: rows upserted',
        left: [scheduled('RowsUpserted')],
        width: 12,
      }),
    );
    return connector;
  }

  private buildArchiver(): PipelineFunction {
    const { config, data } = this.props;
    const size = config.processing.archiver;
    const archiver = new PipelineFunction(this, 'StreamArchiver', {
      ...this.functionDefaults(this.httpsEgressSecurityGroup),
      entry: PROCESSING_ENTRIES.streamArchiver,
      serviceName: 'stream-archiver',
      description: 'The three market streams, frames as received, into bronze.',
      memorySize: size.memoryMiB,
      timeout: size.timeout,
      bundledAssets: [SBE_DECODER_ASSET],
      environment: data.runtimeEnvironment(ARCHIVER_DATA_VARIABLES),
    });
    this.props.data.lake.grantPrefixes(archiver, 'bronze', { read: [], put: [BRONZE_PREFIXES.data] });
    return archiver;
  }

  private watchArchiver(): void {
    const { config } = this.props;
    this.observability.addLambdaAlarms(this.archiver, { id: 'StreamArchiver' });
    this.observability.addAlarms(
      iteratorAgeAlarm(this.observability, 'StreamArchiverIteratorAge', {
        function: this.archiver,
        threshold: Duration.millis(config.alarms.iteratorAgeMs),
        description: 'The stream archiver',
      }),
    );
    const perStream = (metricName: string) =>
      this.streams.map((on) =>
        powertoolsMetric(this.archiver, metricName, {
          dimensions: { stream: on.stream.streamName },
          label: `${on.label} ${metricName}`,
        }),
      );
    this.observability.addWidgets(
      new GraphWidget({
        title: 'stream-archiver: frames and objects',
        left: perStream('ArchivedFrames'),
        right: perStream('ArchivedObjects'),
        width: 12,
      }),
      new GraphWidget({
        title: 'stream-archiver: undecodable frames (archived as received)',
        left: perStream('UndecodableFrames'),
        width: 12,
      }),
    );
  }
}

/** Each migration file as its own bundled asset under `migrations/` (the handler reads the folder). */
function migrationAssets(): BundledAsset[] {
  const files = fs
    .readdirSync(path.join(PROJECT_ROOT, DATA_CONNECTOR_MIGRATIONS))
    .filter((f) => f.endsWith('.sql'))
    .sort();
  if (files.length === 0) {
    throw new Error(
      `ProcessingStack: no migrations in ${DATA_CONNECTOR_MIGRATIONS}: the data connector needs them.`,
    );
  }
  return files.map((f) => ({ from: `${DATA_CONNECTOR_MIGRATIONS}/${f}`, to: `migrations/${f}` }));
}
