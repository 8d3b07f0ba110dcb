/**
 * A Lambda consuming a Kinesis stream the way the aggregator must: it assumes replay. After
 * awslabs/aws-solutions-constructs `aws-kinesisstreams-lambda`: bisect on error, bounded retries and
 * record age, partial batch responses, an encrypted on-failure queue, and alarms on by default.
 * Read permission on the stream comes from the event source's own `grantRead`.
 */
import { Duration, Names, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { type IStream, StreamConsumer } from 'aws-cdk-lib/aws-kinesis';
import { type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import {
  KinesisConsumerEventSource,
  KinesisEventSource,
  type KinesisEventSourceProps,
  SqsDlq,
} from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { invalidSetting } from '../invalid-setting.ts';

export interface KinesisConsumerProps {
  readonly stream: IStream;
  /** The consuming function, normally a PipelineFunction. */
  readonly function: IFunction;
  /**
   * Records per invocation (1–10000).
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * How long to wait to fill a batch (whole seconds, 0–300): latency traded for fewer invocations.
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Split a failing batch in two and retry the halves, to isolate a poison record. Off for consumers
   * whose writes are keyed by the batch's record range (the raw-stream archiver): a bisected retry
   * would write objects overlapping the ones the failed attempt already wrote.
   * @default true
   */
  readonly bisectBatchOnError?: boolean;
  /**
   * Retries of a failing batch after bisection (0–10). Bounded so that one poison record cannot
   * stall its shard: after these, its batch goes to the on-failure queue.
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this are sent to the on-failure queue instead of processed (60 s – 7 days).
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Concurrent batches per shard (1–10); order is kept per partition key (the symbol) either way.
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Where a new consumer starts. The aggregator re-anchors on its first diff, so history is not needed.
   * @default StartingPosition.LATEST
   */
  readonly startingPosition?: StartingPosition;
  /**
   * Read through an enhanced fan-out consumer registered for this function
   * (`AWS::Kinesis::StreamConsumer`, the mapping on its ARN): Kinesis pushes each record over HTTP/2
   * about 70 ms after it was put, instead of Lambda polling each shard about once a second; the
   * consumer gets its own 2 MB/s per shard. Costs a consumer-shard hour and a fee per GB read
   * (docs/adr/0100-aws-latency-budget.md). With alarms on, its lag (`MillisBehindLatest`) is alarmed.
   * @default false
   */
  readonly enhancedFanOut?: boolean;
  /**
   * Name of the registered consumer (unique per stream) when `enhancedFanOut` is on.
   * @default - the construct's path, made unique
   */
  readonly consumerName?: string;
  /**
   * Create the iterator-age, errors and on-failure-queue alarms.
   * @default true
   */
  readonly alarms?: boolean;
  /**
   * Include the function-level alarms (iterator age, errors). Lambda publishes `IteratorAge` and
   * `Errors` per function, not per event source: when one function consumes several streams, turn
   * them off here and alarm on the function once (`iteratorAgeAlarm`, `Observability.addLambdaAlarms`),
   * or each stream pages a copy of the same alarm. The on-failure-queue alarm is per consumer and stays.
   * @default true
   */
  readonly functionAlarms?: boolean;
  /**
   * Iterator age beyond which the consumer is too far behind to be useful.
   * @default Duration.seconds(30)
   */
  readonly iteratorAgeThreshold?: Duration;
  /**
   * Function errors per 5 minutes tolerated before alarming.
   * @default 0
   */
  readonly errorsThreshold?: number;
}

/** Wires a function to a stream with replay-safe settings, an on-failure queue and alarms. */
export class KinesisConsumer extends Construct {
  /** Batches that failed every retry or aged out: each message names the shard and sequence range. */
  public readonly deadLetterQueue: Queue;
  public readonly eventSource: KinesisEventSource | KinesisConsumerEventSource;
  /** The registered enhanced fan-out consumer, when `enhancedFanOut` is on. */
  public readonly streamConsumer: StreamConsumer | undefined;
  /** The alarms created (empty when `alarms` is false); give them to `Observability.addAlarms`. */
  public readonly alarms: readonly Alarm[];
  public readonly function: IFunction;
  public readonly stream: IStream;

  public constructor(scope: Construct, id: string, props: KinesisConsumerProps) {
    super(scope, id);
    const batchSize = props.batchSize ?? 100;
    const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(1);
    const retryAttempts = props.retryAttempts ?? 3;
    const maxRecordAge = props.maxRecordAge ?? Duration.hours(1);
    const parallelizationFactor = props.parallelizationFactor ?? 1;
    validate(id, { batchSize, maxBatchingWindow, retryAttempts, maxRecordAge, parallelizationFactor });
    this.function = props.function;
    this.stream = props.stream;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: time to inspect and replay the failed range from the stream or bronze.
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the Kinesis event source; it holds failed batch metadata, nothing consumes it automatically.',
    });

    const sourceProps: KinesisEventSourceProps = {
      startingPosition: props.startingPosition ?? StartingPosition.LATEST,
      batchSize,
      maxBatchingWindow,
      parallelizationFactor,
      bisectBatchOnError: props.bisectBatchOnError ?? true,
      retryAttempts,
      maxRecordAge,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.deadLetterQueue),
    };
    // Consumer names are unique per stream and at most 128 characters.
    const consumerName = props.consumerName ?? Names.uniqueResourceName(this, { maxLength: 128 });
    this.streamConsumer = props.enhancedFanOut
      ? new StreamConsumer(this, 'StreamConsumer', { stream: props.stream, streamConsumerName: consumerName })
      : undefined;
    // KinesisConsumerEventSource grants the function subscribe and describe on the consumer.
    this.eventSource = this.streamConsumer
      ? new KinesisConsumerEventSource(this.streamConsumer, sourceProps)
      : new KinesisEventSource(props.stream, sourceProps);
    props.function.addEventSource(this.eventSource);

    if (props.alarms === false) {
      this.alarms = [];
      return;
    }
    const functionAlarms =
      props.functionAlarms === false
        ? []
        : [
            iteratorAgeAlarm(this, 'IteratorAgeAlarm', {
              function: props.function,
              threshold: props.iteratorAgeThreshold ?? Duration.seconds(30),
              description: `Consumer of ${props.stream.streamName}`,
            }),
            // Errors: every failed batch is retried and bisected, so even one error costs latency.
            new Alarm(this, 'ErrorsAlarm', {
              alarmDescription:
                'The Kinesis consumer returned errors (batches are being retried and bisected).',
              metric: props.function.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
              threshold: props.errorsThreshold ?? 0,
              comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
              evaluationPeriods: 1,
              treatMissingData: TreatMissingData.NOT_BREACHING,
            }),
          ];
    const consumerAlarms = this.streamConsumer
      ? [
          fanOutLagAlarm(this, 'FanOutLagAlarm', {
            stream: props.stream,
            consumerName,
            threshold: props.iteratorAgeThreshold ?? Duration.seconds(30),
          }),
        ]
      : [];
    this.alarms = [
      ...functionAlarms,
      ...consumerAlarms,
      // Any message here is market data the hot state never saw: someone must look.
      new Alarm(this, 'DeadLetterQueueAlarm', {
        alarmDescription: 'Kinesis batches were given up on and sent to the on-failure queue.',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: 'Maximum',
          period: Duration.minutes(1),
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
  }
}

export interface IteratorAgeAlarmProps {
  readonly function: IFunction;
  /** Lag beyond which the consumer is too far behind to be useful. */
  readonly threshold: Duration;
  /** Who is behind, for the alarm description, e.g. `Consumer of market-sbe-depth-prod`. */
  readonly description: string;
}

/**
 * The consumer-lag alarm on a function's `IteratorAge` (the age of the last record of each batch it
 * received): built by KinesisConsumer, or once per function when it consumes several streams.
 */
export function iteratorAgeAlarm(scope: Construct, id: string, props: IteratorAgeAlarmProps): Alarm {
  const thresholdMs = props.threshold.toMilliseconds();
  // Lag: predictions read features 10 s ahead, so a consumer 30 s behind serves stale state.
  return new Alarm(scope, id, {
    alarmDescription: `${props.description} is more than ${thresholdMs} ms behind the stream.`,
    metric: props.function.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
    threshold: thresholdMs,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    // Three minutes in a row: a single slow batch after a cold start is not an incident.
    evaluationPeriods: 3,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}

export interface FanOutLagAlarmProps {
  readonly stream: IStream;
  readonly consumerName: string;
  /** Lag beyond which the consumer is too far behind to be useful. */
  readonly threshold: Duration;
}

/**
 * The lag of one enhanced fan-out consumer on one stream: Kinesis's `SubscribeToShardEvent.
 * MillisBehindLatest` (how far behind the tip of the shard the pushed records were), per stream and
 * consumer. Per stream, unlike the function's `IteratorAge`, so it names the stream that is behind.
 */
export function fanOutLagAlarm(scope: Construct, id: string, props: FanOutLagAlarmProps): Alarm {
  const thresholdMs = props.threshold.toMilliseconds();
  return new Alarm(scope, id, {
    alarmDescription: `Enhanced fan-out consumer ${props.consumerName} is more than ${thresholdMs} ms behind ${props.stream.streamName}.`,
    metric: new Metric({
      namespace: 'AWS/Kinesis',
      metricName: 'SubscribeToShardEvent.MillisBehindLatest',
      dimensionsMap: { StreamName: props.stream.streamName, ConsumerName: props.consumerName },
      statistic: 'Maximum',
      period: Duration.minutes(1),
    }),
    threshold: thresholdMs,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    // As for iterator age: three minutes in a row, so a cold start's slow batch alone does not page.
    evaluationPeriods: 3,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}

interface Settings {
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly retryAttempts: number;
  readonly maxRecordAge: Duration;
  readonly parallelizationFactor: number;
}

function validate(id: string, s: Settings): void {
  const fail = (what: string, value: unknown, expected: string): never =>
    invalidSetting(`KinesisConsumer ${id}`, what, value, expected);
  if (!Number.isInteger(s.batchSize) || s.batchSize < 1 || s.batchSize > 10_000) {
    fail('batchSize', s.batchSize, 'need 1 to 10000');
  }
  const windowS = s.maxBatchingWindow.toMilliseconds() / 1000;
  if (!Number.isInteger(windowS) || windowS < 0 || windowS > 300) {
    fail('maxBatchingWindow', s.maxBatchingWindow.toHumanString(), 'need whole seconds from 0 to 300');
  }
  if (!Number.isInteger(s.retryAttempts) || s.retryAttempts < 0 || s.retryAttempts > 10) {
    fail('retryAttempts', s.retryAttempts, 'need a bounded 0 to 10');
  }
  const ageS = s.maxRecordAge.toSeconds();
  if (ageS < 60 || ageS > 604_800)
    fail('maxRecordAge', s.maxRecordAge.toHumanString(), 'need 60 s to 7 days');
  if (
    !Number.isInteger(s.parallelizationFactor) ||
    s.parallelizationFactor < 1 ||
    s.parallelizationFactor > 10
  ) {
    fail('parallelizationFactor', s.parallelizationFactor, 'need 1 to 10');
  }
}
