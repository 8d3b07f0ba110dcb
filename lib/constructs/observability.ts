/**
 * The one way a stack adds dashboards and alarms. Each stack that owns resources builds its own
 * Observability (its dashboard, its alarms) with the shared alarm topic: alarms live next to what
 * they watch, and no stack has to reach back into a later one (which would make a dependency cycle).
 *
 *   const obs = new Observability(this, 'Observability', { dashboardName, alarmTopic, thresholds });
 *   obs.addLambdaAlarms(fn);            // errors, throttles, p99 duration + widgets
 *   obs.addKinesisConsumer(consumer);   // its alarms + iterator age and on-failure queue widgets
 *   obs.addPipelineService(service);    // running tasks below desired + CPU, memory, tasks widgets
 *   obs.addAggregatorMetrics(fn, {...}); // the aggregator's EMF metrics per stream, with alarms
 *   obs.addReanchorMetrics(fn);         // re-anchor outcomes and durations, with alarms
 *   obs.addAlarms(alarm);               // anything else: wired to the topic and shown
 */
import { Duration, Names } from 'aws-cdk-lib';
import {
  Alarm,
  type AlarmBase,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IDatabaseCluster } from 'aws-cdk-lib/aws-rds';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { AlarmThresholds } from '../config/environment-config.ts';
import type { KinesisConsumer } from './kinesis-consumer.ts';
import { PipelineFunction } from './pipeline-function.ts';
import type { PipelineService } from './pipeline-service.ts';

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

export interface ObservabilityProps {
  /** Every alarm added here notifies this topic (alarm and OK). */
  readonly alarmTopic: ITopic;
  /** e.g. `btcusdt-prod-overview`. */
  readonly dashboardName: string;
  readonly thresholds: AlarmThresholds;
  /** @default - no header text */
  readonly description?: string;
}

export interface LambdaAlarmOptions {
  /** Construct id of the alarms' group. @default - derived from the function's path */
  readonly id?: string;
  /** Dashboard title. @default - the PipelineFunction's service name, else the construct id */
  readonly label?: string;
  /** Errors per 5 minutes tolerated. @default thresholds.lambdaErrors */
  readonly errorsThreshold?: number;
  /**
   * Throttles per 5 minutes tolerated. Raise it only where a reserved concurrency is a deliberate limiter.
   * @default 0
   */
  readonly throttlesThreshold?: number;
  /** Needed for the duration alarm. @default - the PipelineFunction's timeout; no duration alarm otherwise */
  readonly timeout?: Duration;
}

export interface ServiceAlarmOptions {
  /** Construct id of the alarms' group. @default - derived from the service's path */
  readonly id?: string;
  /** Dashboard title. @default - the service name */
  readonly label?: string;
  /**
   * Alarm when fewer tasks than this run.
   * @default - the service's desired count (no alarm when that is 0)
   */
  readonly minRunningTasks?: number;
  /**
   * Consecutive minutes below minRunningTasks before alarming.
   * @default 5
   */
  readonly belowForMinutes?: number;
}

/** One stream's label and the stream, as shown on the dashboard. */
export interface LabelledStream {
  readonly label: string;
  readonly stream: IStream;
}

/**
 * The aggregator's EMF metrics (lambdas/aggregator/index.ts), each published with the dimensions
 * `service` (Powertools' default dimension) and `stream` (the Kinesis stream name). A test checks the
 * handler still publishes every name.
 */
export const AGGREGATOR_METRICS = [
  'Frames',
  'DecodeErrors',
  'DiffsApplied',
  'Trades',
  'DepthChecks',
  'DepthMismatches',
  'ReanchorRequests',
  'Conflicts',
  'ExchangeToRedisP99',
  'KinesisToAggregatorMax',
] as const;
export type AggregatorMetric = (typeof AGGREGATOR_METRICS)[number];

/** The re-anchor's outcomes: it publishes `Reanchor_<outcome>` (count 1) per run, dimension `service` only. */
export const REANCHOR_OUTCOMES = ['swapped', 'failed', 'locked', 'lost-lock', 'deferred'] as const;
/**
 * Swapped re-anchors per 5 minutes above which the gap rate is persistent. A healthy feed re-anchors
 * a few times an hour (reconnects, the odd lost frame); one every 10 s means the feed keeps losing
 * diffs (network, an overloaded ingestor), and at that pace the IP's REST budget starts to make the
 * snapshots shallower and then to defer them (core/rate-limit/snapshot-depth.ts).
 */
export const PERSISTENT_GAP_REANCHORS_PER_5_MIN = 30;
/** Periods in a row (15 minutes): a reconnect storm of a few minutes is not persistent. */
export const PERSISTENT_GAP_PERIODS = 3;
/** Timings of a swapped re-anchor (ms): the whole run, and the atomic swap alone. */
export const REANCHOR_TIMINGS = ['ReanchorDuration', 'ReanchorSwap'] as const;

export interface PowertoolsMetricOptions {
  /** Dimensions besides `service`. @default - none */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** @default 'Sum' */
  readonly statistic?: string;
  /** @default one minute */
  readonly period?: Duration;
  /** @default - the metric name */
  readonly label?: string;
}

/** What publishes Powertools (EMF) metrics: a PipelineFunction, or a PipelineService's container. */
export interface PowertoolsPublisher {
  readonly metricsNamespace: string;
  readonly serviceName: string;
}

/**
 * A metric a Lambda or a Fargate service publishes through Powertools Metrics (EMF): in its
 * namespace, with the `service` dimension Powertools adds to every metric (its service name).
 */
export function powertoolsMetric(
  fn: PowertoolsPublisher,
  metricName: string,
  options: PowertoolsMetricOptions = {},
): Metric {
  return new Metric({
    namespace: fn.metricsNamespace,
    metricName,
    dimensionsMap: { service: fn.serviceName, ...options.dimensions },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? ONE_MINUTE,
    label: options.label,
  });
}

export interface AggregatorMetricsOptions {
  /** Every stream the aggregator consumes; its `stream` dimension is the stream name. */
  readonly streams: readonly LabelledStream[];
  /** The stream carrying depth frames: book checks, and so mismatches, only happen there. */
  readonly depthStream: LabelledStream;
  /** Construct id of the alarms' group. @default 'Aggregator' */
  readonly id?: string;
}

export class Observability extends Construct {
  public readonly dashboard: Dashboard;
  private readonly alarmAction: SnsAction;
  private readonly thresholds: AlarmThresholds;
  private readonly alarmList: AlarmBase[] = [];

  public constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.thresholds = props.thresholds;
    this.alarmAction = new SnsAction(props.alarmTopic);
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    if (props.description) {
      this.dashboard.addWidgets(new TextWidget({ markdown: props.description, width: 24, height: 2 }));
    }
    // One status panel at the top, rendered at synthesis so it lists every alarm added later.
    this.dashboard.addWidgets(new AlarmListWidget(this.alarmList));
  }

  /** The alarms added so far. */
  public get alarms(): readonly AlarmBase[] {
    return this.alarmList;
  }

  /** Wires alarms to the topic (alarm and recovery) and lists them on the dashboard. */
  public addAlarms(...alarms: AlarmBase[]): this {
    for (const alarm of alarms) {
      alarm.addAlarmAction(this.alarmAction);
      alarm.addOkAction(this.alarmAction);
      this.alarmList.push(alarm);
    }
    return this;
  }

  public addWidgets(...widgets: IWidget[]): this {
    this.dashboard.addWidgets(...widgets);
    return this;
  }

  /** Errors, throttles and p99 duration alarms for one function, plus its row of graphs. */
  public addLambdaAlarms(fn: IFunction, options: LambdaAlarmOptions = {}): Alarm[] {
    const group = new Construct(this, options.id ?? `Lambda${Names.uniqueId(fn)}`);
    const label = options.label ?? (fn instanceof PipelineFunction ? fn.serviceName : fn.node.id);
    const timeout = options.timeout ?? (fn instanceof PipelineFunction ? fn.timeoutDuration : undefined);
    const alarms: Alarm[] = [
      // Handlers classify and count their errors; one escaping to Lambda is a bug or an outage.
      new Alarm(group, 'Errors', {
        alarmDescription: `${label}: Lambda errors.`,
        metric: fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
        threshold: options.errorsThreshold ?? this.thresholds.lambdaErrors,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      // Throttled pipeline functions fall behind the market: any throttle means concurrency is short.
      new Alarm(group, 'Throttles', {
        alarmDescription: `${label}: Lambda throttles.`,
        metric: fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES }),
        threshold: options.throttlesThreshold ?? 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
    if (timeout) {
      const limitMs = Math.round(timeout.toMilliseconds() * this.thresholds.lambdaDurationShareOfTimeout);
      // Close to the timeout, the next slow batch is a timeout: act while it is still a slowdown.
      alarms.push(
        new Alarm(group, 'Duration', {
          alarmDescription: `${label}: p99 duration above ${limitMs} ms (${this.thresholds.lambdaDurationShareOfTimeout} of the timeout).`,
          metric: fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES }),
          threshold: limitMs,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    this.addAlarms(...alarms);
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${label}: invocations, errors, throttles`,
        left: [
          fn.metricInvocations({ period: ONE_MINUTE }),
          fn.metricErrors({ period: ONE_MINUTE }),
          fn.metricThrottles({ period: ONE_MINUTE }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: `${label}: duration`,
        left: [
          fn.metricDuration({ statistic: 'p50', period: ONE_MINUTE }),
          fn.metricDuration({ statistic: 'p99', period: ONE_MINUTE }),
        ],
        width: 12,
      }),
    );
    return alarms;
  }

  /** The consumer's own alarms, plus its iterator age and on-failure queue graphs. */
  public addKinesisConsumer(consumer: KinesisConsumer, label = consumer.node.id): this {
    this.addAlarms(...consumer.alarms);
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${label}: iterator age (ms)`,
        left: [
          // The function's lag (all its streams), and the stream's (its slowest consumer).
          consumer.function.metric('IteratorAge', {
            statistic: 'Maximum',
            period: ONE_MINUTE,
            label: 'function',
          }),
          consumer.stream.metricGetRecordsIteratorAgeMilliseconds({
            statistic: 'Maximum',
            period: ONE_MINUTE,
            label: 'stream',
          }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: `${label}: batches given up on`,
        left: [consumer.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE })],
        width: 12,
      }),
    );
    return this;
  }

  /**
   * The aggregator's EMF metrics per stream: throughput, latency and lag, book health, problems; alarms
   * on decode errors, exchange-to-Redis p99 (per stream) and depth mismatches (the depth stream).
   */
  public addAggregatorMetrics(fn: PipelineFunction, options: AggregatorMetricsOptions): Alarm[] {
    const t = this.thresholds;
    const group = new Construct(this, options.id ?? 'Aggregator');
    const label = fn.serviceName;
    const dimensions = (on: LabelledStream) => ({ stream: on.stream.streamName });
    // Graph lines carry a label; alarm metrics do not (a label makes CloudWatch a metric-math alarm).
    const metric = (name: AggregatorMetric, on: LabelledStream, statistic = 'Sum') =>
      powertoolsMetric(fn, name, { dimensions: dimensions(on), statistic, label: `${on.label} ${name}` });
    const alarmMetric = (name: AggregatorMetric, on: LabelledStream, statistic: string) =>
      powertoolsMetric(fn, name, { dimensions: dimensions(on), statistic, period: FIVE_MINUTES });
    const alarms: Alarm[] = [];
    for (const on of options.streams) {
      const id = on.label.replace(/[^A-Za-z0-9]/g, '');
      alarms.push(
        // The ingestor decoded these frames with the same WASM decoder: a frame the aggregator cannot
        // decode is a corrupt record or a schema the decoder does not know. Never normal.
        new Alarm(group, `${id}DecodeErrors`, {
          alarmDescription: `${label}: frames of ${on.label} failed to decode.`,
          metric: alarmMetric('DecodeErrors', on, 'Sum'),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        // Sustained for 15 minutes: a burst after a cold start or a re-anchor is not an incident.
        new Alarm(group, `${id}ExchangeToRedisP99`, {
          alarmDescription: `${label}: ${on.label} exchange-to-Redis p99 above ${t.exchangeToRedisP99Ms} ms for 15 minutes.`,
          metric: alarmMetric('ExchangeToRedisP99', on, 'Average'),
          threshold: t.exchangeToRedisP99Ms,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    const depth = options.depthStream;
    alarms.push(
      // The book disagreed with Binance's own depth20 view: the aggregator requests a re-anchor, but
      // a mismatch means a diff was lost or misapplied (the invariant of docs/adr/0003-redis-hot-state.md).
      new Alarm(group, 'DepthMismatches', {
        alarmDescription: `${label}: the book disagreed with Binance's depth snapshot on ${depth.label}.`,
        metric: alarmMetric('DepthMismatches', depth, 'Sum'),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    this.addAlarms(...alarms);

    const perStream = (name: AggregatorMetric, statistic = 'Sum') =>
      options.streams.map((on) => metric(name, on, statistic));
    this.dashboard.addWidgets(
      new GraphWidget({ title: `${label}: frames per minute`, left: perStream('Frames'), width: 8 }),
      new GraphWidget({
        title: `${label}: exchange → Redis p99 (ms)`,
        left: perStream('ExchangeToRedisP99', 'Average'),
        leftAnnotations: [{ value: t.exchangeToRedisP99Ms, label: 'alarm' }],
        width: 8,
      }),
      new GraphWidget({
        title: `${label}: Kinesis → aggregator lag, max (ms)`,
        left: perStream('KinesisToAggregatorMax', 'Maximum'),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${label}: book (${depth.label})`,
        left: [metric('DiffsApplied', depth), metric('DepthChecks', depth)],
        right: [metric('DepthMismatches', depth)],
        width: 8,
      }),
      new GraphWidget({ title: `${label}: trades`, left: perStream('Trades'), width: 8 }),
      new GraphWidget({
        title: `${label}: decode errors, conflicts, re-anchor requests`,
        left: [...perStream('DecodeErrors'), ...perStream('Conflicts'), ...perStream('ReanchorRequests')],
        width: 8,
      }),
    );
    return alarms;
  }

  /**
   * Re-anchor outcomes and timings; alarms on failed runs and on requests Lambda gave up on. Add the
   * function's own alarms with `addLambdaAlarms`.
   */
  public addReanchorMetrics(fn: PipelineFunction, id = 'Reanchor'): Alarm[] {
    const group = new Construct(this, id);
    const label = fn.serviceName;
    const alarms = [
      // A failed run leaves the book marked stale: Lambda retries it and the gap detector asks again,
      // but a failure means Binance REST or Redis is unreachable or the snapshot never connects.
      new Alarm(group, 'Failed', {
        alarmDescription: `${label}: re-anchors failed (the book stays stale until one succeeds).`,
        metric: powertoolsMetric(fn, 'Reanchor_failed', { period: FIVE_MINUTES }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      // The gap rate itself, before it costs anything: the feed keeps losing diffs (see the constant).
      new Alarm(group, 'PersistentGapRate', {
        alarmDescription: `${label}: more than ${PERSISTENT_GAP_REANCHORS_PER_5_MIN} re-anchors per 5 minutes for ${PERSISTENT_GAP_PERIODS * 5} minutes: the feed keeps losing depth diffs; re-anchors will turn shallower, then wait for REST weight (never past a 429).`,
        metric: powertoolsMetric(fn, 'Reanchor_swapped', { period: FIVE_MINUTES }),
        threshold: PERSISTENT_GAP_REANCHORS_PER_5_MIN,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: PERSISTENT_GAP_PERIODS,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      // Deferred on the shared budget: the book stays stale until the next minute's weight. Two
      // 5-minute periods in a row: one burst may spend a minute's budget, a second means it persists.
      new Alarm(group, 'DeferredByWeightBudget', {
        alarmDescription: `${label}: re-anchors waited for the IP's REST weight budget in two 5-minute periods running; books are stale between minutes (the gap rate is above what the budget rebuilds).`,
        metric: powertoolsMetric(fn, 'ReanchorDeferred_weight-budget', { period: FIVE_MINUTES }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      // A request that aged out or exhausted its retries is silently lost: a stale book nobody rebuilds.
      new Alarm(group, 'AsyncEventsDropped', {
        alarmDescription: `${label}: re-anchor requests were dropped after their retries or maximum age.`,
        metric: fn.metric('AsyncEventsDropped', { statistic: 'Sum', period: FIVE_MINUTES }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
    this.addAlarms(...alarms);
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${label}: outcomes`,
        left: REANCHOR_OUTCOMES.map((outcome) =>
          powertoolsMetric(fn, `Reanchor_${outcome}`, { label: outcome }),
        ),
        width: 12,
      }),
      new GraphWidget({
        title: `${label}: duration and swap (ms)`,
        left: [
          powertoolsMetric(fn, 'ReanchorDuration', { statistic: 'p50', label: 'run p50' }),
          powertoolsMetric(fn, 'ReanchorDuration', { statistic: 'Maximum', label: 'run max' }),
        ],
        right: [powertoolsMetric(fn, 'ReanchorSwap', { statistic: 'Maximum', label: 'swap max' })],
        width: 12,
      }),
    );
    return alarms;
  }

  /**
   * An alarm on running tasks below the desired count, and graphs of CPU, memory and task counts.
   * Task counts come from Container Insights (`ECS/ContainerInsights`): enable it on the cluster.
   */
  public addPipelineService(service: PipelineService, options: ServiceAlarmOptions = {}): Alarm[] {
    const group = new Construct(this, options.id ?? `Service${Names.uniqueId(service)}`);
    const label = options.label ?? service.serviceName;
    const minRunning = options.minRunningTasks ?? service.desiredCount;
    const belowForMinutes = options.belowForMinutes ?? 5;
    if (!Number.isInteger(belowForMinutes) || belowForMinutes < 1 || belowForMinutes > 60) {
      throw new Error(
        `Observability: invalid belowForMinutes ${belowForMinutes} for ${label}: need 1 to 60 minutes.`,
      );
    }
    const dimensionsMap = {
      ClusterName: service.service.cluster.clusterName,
      ServiceName: service.service.serviceName,
    };
    const taskCount = (metricName: string, statistic: string, label?: string) =>
      new Metric({
        namespace: 'ECS/ContainerInsights',
        metricName,
        dimensionsMap,
        statistic,
        period: ONE_MINUTE,
        label,
      });
    const alarms: Alarm[] = [];
    if (minRunning > 0) {
      alarms.push(
        // No ingestor means no market data: the book, features and predictions all go stale (with
        // two tasks, one down means no redundancy left). ECS replaces a failed task within a minute
        // or two, so five minutes below lets one crash pass and pages on a crash loop or a capacity
        // shortage. No data means no task reporting, so missing data breaches.
        new Alarm(group, 'RunningTasks', {
          alarmDescription: `${label}: fewer than ${minRunning} running tasks for ${belowForMinutes} minutes.`,
          metric: taskCount('RunningTaskCount', 'Minimum'),
          threshold: minRunning,
          comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: belowForMinutes,
          treatMissingData: TreatMissingData.BREACHING,
        }),
      );
    }
    this.addAlarms(...alarms);
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${label}: CPU %`,
        left: [
          service.service.metricCpuUtilization({ statistic: 'Average', period: ONE_MINUTE }),
          service.service.metricCpuUtilization({ statistic: 'Maximum', period: ONE_MINUTE }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: `${label}: memory %`,
        left: [
          service.service.metricMemoryUtilization({ statistic: 'Average', period: ONE_MINUTE }),
          service.service.metricMemoryUtilization({ statistic: 'Maximum', period: ONE_MINUTE }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: `${label}: tasks`,
        left: [
          taskCount('RunningTaskCount', 'Minimum', 'running'),
          taskCount('DesiredTaskCount', 'Maximum', 'desired'),
          taskCount('PendingTaskCount', 'Maximum', 'pending'),
        ],
        width: 8,
      }),
    );
    return alarms;
  }

  /**
   * Ingest rate, throttles and consumer lag per stream; alarms on write throttles, on stream-level
   * iterator age, and (when thresholds.ingestSilence is set) on silence.
   */
  public addStreams(streams: readonly LabelledStream[]): this {
    const t = this.thresholds;
    const group = new Construct(this, 'Streams');
    for (const { label, stream } of streams) {
      const id = label.replace(/[^A-Za-z0-9]/g, '');
      const alarms: AlarmBase[] = [
        // Throttled PutRecords are retried by the ingestor, but its buffer is bounded: sustained
        // throttling becomes gaps and re-anchors.
        new Alarm(group, `${id}WriteThrottles`, {
          alarmDescription: `${label}: PutRecords throttled (stream capacity too low).`,
          metric: stream.metricPutRecordsThrottledRecords({ statistic: 'Sum', period: FIVE_MINUTES }),
          threshold: t.writeThrottledRecords,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        // Stream-level view of the slowest consumer (the aggregator, the archiver).
        new Alarm(group, `${id}IteratorAge`, {
          alarmDescription: `${label}: a consumer is more than ${t.iteratorAgeMs} ms behind.`,
          metric: stream.metricGetRecordsIteratorAgeMilliseconds({
            statistic: 'Maximum',
            period: ONE_MINUTE,
          }),
          threshold: t.iteratorAgeMs,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      ];
      if (t.ingestSilence) {
        // BTCUSDT trades every second around the clock: minutes without a record means the
        // ingestor is down or disconnected. Missing data is the symptom, so it breaches.
        alarms.push(
          new Alarm(group, `${id}Silence`, {
            alarmDescription: `${label}: no records for ${t.ingestSilence.toHumanString()}.`,
            metric: stream.metricIncomingRecords({ statistic: 'Sum', period: t.ingestSilence }),
            threshold: 1,
            comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: TreatMissingData.BREACHING,
          }),
        );
      }
      this.addAlarms(...alarms);
    }
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Kinesis: incoming records',
        left: streams.map(({ label, stream }) => stream.metricIncomingRecords({ period: ONE_MINUTE, label })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Kinesis: write throttles',
        left: streams.map(({ label, stream }) =>
          stream.metricPutRecordsThrottledRecords({ period: ONE_MINUTE, label }),
        ),
        width: 8,
      }),
      new GraphWidget({
        title: 'Kinesis: iterator age (ms)',
        left: streams.map(({ label, stream }) =>
          stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum', period: ONE_MINUTE, label }),
        ),
        width: 8,
      }),
    );
    return this;
  }

  /** Engine CPU, memory and evictions of the hot-state nodes (worst node). */
  public addRedis(nodeIds: readonly string[], label = 'Redis'): this {
    const t = this.thresholds;
    const group = new Construct(this, 'Redis');
    const worst = (metricName: string, statistic: string, period: Duration): MathExpression => {
      const usingMetrics: Record<string, Metric> = {};
      nodeIds.forEach((nodeId, i) => {
        usingMetrics[`n${i}`] = new Metric({
          namespace: 'AWS/ElastiCache',
          metricName,
          dimensionsMap: { CacheClusterId: nodeId },
          statistic,
          period,
        });
      });
      return new MathExpression({
        expression: `MAX([${Object.keys(usingMetrics).join(',')}])`,
        usingMetrics,
        label: `${metricName} (worst node)`,
        period,
      });
    };
    this.addAlarms(
      // Valkey runs commands on one core: past this the aggregator's round trip queues.
      new Alarm(group, 'EngineCpu', {
        alarmDescription: `${label}: engine CPU above ${t.redisEngineCpuPercent}%.`,
        metric: worst('EngineCPUUtilization', 'Average', FIVE_MINUTES),
        threshold: t.redisEngineCpuPercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(group, 'Memory', {
        alarmDescription: `${label}: memory above ${t.redisMemoryPercent}% of maxmemory.`,
        metric: worst('DatabaseMemoryUsagePercentage', 'Maximum', FIVE_MINUTES),
        threshold: t.redisMemoryPercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      // An evicted book or lock key silently desynchronises the hot state: never acceptable.
      new Alarm(group, 'Evictions', {
        alarmDescription: `${label}: keys were evicted.`,
        metric: worst('Evictions', 'Sum', FIVE_MINUTES),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${label}: engine CPU %`,
        left: [worst('EngineCPUUtilization', 'Average', ONE_MINUTE)],
        width: 6,
      }),
      new GraphWidget({
        title: `${label}: memory %`,
        left: [worst('DatabaseMemoryUsagePercentage', 'Maximum', ONE_MINUTE)],
        width: 6,
      }),
      new GraphWidget({
        title: `${label}: evictions`,
        left: [worst('Evictions', 'Sum', ONE_MINUTE)],
        width: 6,
      }),
      new GraphWidget({
        title: `${label}: connections`,
        left: [worst('CurrConnections', 'Maximum', ONE_MINUTE)],
        width: 6,
      }),
    );
    return this;
  }

  /** Capacity and load of the Aurora Serverless v2 cluster. */
  public addAurora(cluster: IDatabaseCluster, label = 'Aurora'): this {
    const t = this.thresholds;
    const acu = new Metric({
      namespace: 'AWS/RDS',
      metricName: 'ACUUtilization',
      dimensionsMap: { DBClusterIdentifier: cluster.clusterIdentifier },
      statistic: 'Average',
      period: FIVE_MINUTES,
    });
    this.addAlarms(
      // Pinned at max capacity: queries queue behind the data connector's upserts.
      new Alarm(this, 'AuroraAcuUtilization', {
        alarmDescription: `${label}: above ${t.auroraAcuUtilizationPercent}% of max ACUs; raise maxCapacityAcu.`,
        metric: acu,
        threshold: t.auroraAcuUtilizationPercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    const clusterMetric = (metricName: string, statistic: string) =>
      new Metric({
        namespace: 'AWS/RDS',
        metricName,
        dimensionsMap: { DBClusterIdentifier: cluster.clusterIdentifier },
        statistic,
        period: ONE_MINUTE,
      });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${label}: capacity (ACU) and utilization %`,
        left: [clusterMetric('ServerlessDatabaseCapacity', 'Average')],
        right: [clusterMetric('ACUUtilization', 'Average')],
        width: 8,
      }),
      new GraphWidget({
        title: `${label}: CPU %`,
        left: [clusterMetric('CPUUtilization', 'Average')],
        width: 8,
      }),
      new GraphWidget({
        title: `${label}: connections`,
        left: [clusterMetric('DatabaseConnections', 'Maximum')],
        width: 8,
      }),
    );
    return this;
  }
}

/** An AlarmStatusWidget whose alarm list is read when the dashboard body is rendered. */
class AlarmListWidget implements IWidget {
  public readonly width = 24;
  public readonly height = 4;
  private x = 0;
  private y = 0;

  public constructor(private readonly alarms: readonly AlarmBase[]) {}

  public position(x: number, y: number): void {
    this.x = x;
    this.y = y;
  }

  public toJson(): unknown[] {
    const widget =
      this.alarms.length === 0
        ? new TextWidget({ markdown: 'No alarms yet.', width: this.width, height: this.height })
        : new AlarmStatusWidget({
            title: 'Alarms',
            alarms: [...this.alarms],
            width: this.width,
            height: this.height,
          });
    widget.position(this.x, this.y);
    return widget.toJson();
  }
}
