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
import { invalidSetting } from '../invalid-setting.ts';
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
   * An alarm on running tasks below the desired count, and graphs of CPU, memory and task counts.
   * Task counts come from Container Insights (`ECS/ContainerInsights`): enable it on the cluster.
   */
  public addPipelineService(service: PipelineService, options: ServiceAlarmOptions = {}): Alarm[] {
    const group = new Construct(this, options.id ?? `Service${Names.uniqueId(service)}`);
    const label = options.label ?? service.serviceName;
    const minRunning = options.minRunningTasks ?? service.desiredCount;
    const belowForMinutes = options.belowForMinutes ?? 5;
    if (!Number.isInteger(belowForMinutes) || belowForMinutes < 1 || belowForMinutes > 60) {
      invalidSetting(
        `Observability ${this.node.id}`,
        `belowForMinutes of ${label}`,
        belowForMinutes,
        'need 1 to 60 minutes',
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
