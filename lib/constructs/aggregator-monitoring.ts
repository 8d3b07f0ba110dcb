/**
 * The hot path's monitoring: the aggregator (Kinesis → Redis) and the re-anchor it invokes. Per
 * function, Lambda's errors, throttles and duration (Observability.addLambdaAlarms); the aggregator's
 * iterator age; its EMF metrics per stream (throughput, exchange-to-Redis latency, lag, book checks,
 * decode errors); the re-anchor's outcomes, timings and the gap rate they reveal. Alarms go to the
 * Observability's topic, graphs to its dashboard, in that order.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, GraphWidget, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { AlarmThresholds } from '../config/environment-config.ts';
import { iteratorAgeAlarm } from './kinesis-consumer.ts';
import { type LabelledStream, type Observability, powertoolsMetric } from './observability.ts';
import type { PipelineFunction } from './pipeline-function.ts';

const FIVE_MINUTES = Duration.minutes(5);

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

/**
 * Throttles per 5 minutes tolerated on the re-anchor: its reserved concurrency is a deliberate limiter,
 * and a duplicate request queued behind a running re-anchor is retried by Lambda. A sustained stream
 * of them means something requests re-anchors in a loop.
 */
const REANCHOR_THROTTLES_TOLERATED = 20;

export interface AggregatorMonitoringProps {
  readonly observability: Observability;
  readonly thresholds: AlarmThresholds;
  readonly aggregator: PipelineFunction;
  readonly reanchor: PipelineFunction;
  /** Every stream the aggregator consumes; its `stream` dimension is the stream name. */
  readonly streams: readonly LabelledStream[];
  /** The stream carrying depth frames: book checks, and so mismatches, only happen there. */
  readonly depthStream: LabelledStream;
}

export class AggregatorMonitoring extends Construct {
  private readonly observability: Observability;

  public constructor(scope: Construct, id: string, props: AggregatorMonitoringProps) {
    super(scope, id);
    this.observability = props.observability;
    const { aggregator, reanchor, thresholds } = props;
    this.observability.addLambdaAlarms(aggregator, { id: 'Aggregator' });
    this.observability.addAlarms(
      iteratorAgeAlarm(this, 'AggregatorIteratorAge', {
        function: aggregator,
        threshold: Duration.millis(thresholds.iteratorAgeMs),
        description: `The aggregator (${props.streams.map((s) => s.label).join(', ')})`,
      }),
    );
    this.addAggregatorMetrics(aggregator, props);
    this.observability.addLambdaAlarms(reanchor, {
      id: 'ReAnchor',
      throttlesThreshold: REANCHOR_THROTTLES_TOLERATED,
    });
    this.addReanchorMetrics(reanchor);
  }

  /**
   * The aggregator's EMF metrics per stream: throughput, latency and lag, book health, problems; alarms
   * on decode errors, exchange-to-Redis p99 (per stream) and depth mismatches (the depth stream).
   */
  private addAggregatorMetrics(fn: PipelineFunction, options: AggregatorMonitoringProps): Alarm[] {
    const t = options.thresholds;
    const group = new Construct(this, 'AggregatorMetrics');
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
    this.observability.addAlarms(...alarms);

    const perStream = (name: AggregatorMetric, statistic = 'Sum') =>
      options.streams.map((on) => metric(name, on, statistic));
    this.observability.addWidgets(
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
    this.observability.addWidgets(
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
   * Re-anchor outcomes and timings; alarms on failed runs and on requests Lambda gave up on.
   */
  private addReanchorMetrics(fn: PipelineFunction): Alarm[] {
    const group = new Construct(this, 'ReAnchorMetrics');
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
    this.observability.addAlarms(...alarms);
    this.observability.addWidgets(
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
}
