import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Stream, StreamEncryption } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { resolveEnvironmentConfig } from '../../lib/config/environment-config.ts';
import { iteratorAgeAlarm, KinesisConsumer } from '../../lib/constructs/kinesis-consumer.ts';
import { PipelineFunction } from '../../lib/constructs/pipeline-function.ts';
import { FIXTURE_HANDLER, logicalIds, nagCheckedStack } from './helpers.ts';

// The aggregator's shape, with prod's consumer settings from the environment config.
const prod = resolveEnvironmentConfig({ envName: 'prod' });
const { stack } = nagCheckedStack();
const stream = new Stream(stack, 'Depth', { encryption: StreamEncryption.MANAGED });
const otherStream = new Stream(stack, 'Trade', { encryption: StreamEncryption.MANAGED });
const aggregator = new PipelineFunction(stack, 'Aggregator', {
  entry: FIXTURE_HANDLER,
  serviceName: 'aggregator',
  pipelineEnv: prod.name,
});
const consumer = new KinesisConsumer(stack, 'DepthConsumer', {
  stream,
  function: aggregator,
  ...prod.consumer,
  // Standard polling here; the enhanced fan-out shape is checked with its own consumer below.
  enhancedFanOut: false,
  iteratorAgeThreshold: Duration.millis(prod.alarms.iteratorAgeMs),
});
const quiet = new KinesisConsumer(stack, 'QuietConsumer', {
  stream: otherStream,
  function: new PipelineFunction(stack, 'Archiver', {
    entry: FIXTURE_HANDLER,
    serviceName: 'archiver',
    pipelineEnv: 'prod',
  }),
  alarms: false,
  startingPosition: StartingPosition.TRIM_HORIZON,
});
const template = Template.fromStack(stack);
const streamArn = { 'Fn::GetAtt': [stack.getLogicalId(stream.node.defaultChild as never), 'Arn'] };
const queueArn = {
  'Fn::GetAtt': [stack.getLogicalId(consumer.deadLetterQueue.node.defaultChild as never), 'Arn'],
};

describe('KinesisConsumer', () => {
  it('maps the stream with replay-safe settings from the environment config', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: streamArn,
      StartingPosition: 'LATEST',
      BatchSize: prod.consumer.batchSize,
      MaximumBatchingWindowInSeconds: 0,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: prod.consumer.retryAttempts,
      MaximumRecordAgeInSeconds: prod.consumer.maxRecordAge.toSeconds(),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: queueArn } },
    });
  });

  it('uses bounded defaults when not configured', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('sends failed batches to an encrypted, TLS-only queue kept 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('grants read on its own stream and send on its own queue, nothing wider', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^AggregatorServiceRole') }] },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } })
          .Properties.PolicyDocument.Statement,
    );
    const kinesis = statements.filter((s) => JSON.stringify(s.Action).includes('kinesis:'));
    expect(kinesis.length).toBeGreaterThan(0);
    for (const s of kinesis) expect(s.Resource).toEqual(streamArn);
    const sqs = statements.filter((s) => JSON.stringify(s.Action).includes('sqs:'));
    expect(sqs.map((s) => s.Resource)).toEqual([queueArn]);
    expect(JSON.stringify(statements)).not.toContain('"*"');
  });

  it('alarms on iterator age, errors and queue depth by default', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Namespace: 'AWS/Lambda',
      Statistic: 'Maximum',
      Threshold: prod.alarms.iteratorAgeMs,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Threshold: 0 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 0,
    });
    expect(consumer.alarms).toHaveLength(3);
  });

  it('creates no alarms when asked not to', () => {
    expect(quiet.alarms).toHaveLength(0);
    expect(logicalIds(template, 'AWS::CloudWatch::Alarm')).toHaveLength(3);
  });

  it('leaves the function-level alarms to the caller when one function reads several streams', () => {
    const { stack: s } = nagCheckedStack('Shared');
    const fn = new PipelineFunction(s, 'F', {
      entry: FIXTURE_HANDLER,
      serviceName: 'probe',
      pipelineEnv: 'dev',
    });
    const consumers = ['A', 'B'].map(
      (id) =>
        new KinesisConsumer(s, id, {
          stream: new Stream(s, `${id}Stream`),
          function: fn,
          functionAlarms: false,
        }),
    );
    // IteratorAge and Errors are per function: two copies would page twice for one incident.
    for (const c of consumers) expect(c.alarms.map((a) => a.node.id)).toEqual(['DeadLetterQueueAlarm']);
    const lag = iteratorAgeAlarm(s, 'Lag', {
      function: fn,
      threshold: Duration.minutes(1),
      description: 'F',
    });
    expect(lag.node.id).toBe('Lag');
    expect(s.resolve((lag.node.defaultChild as CfnAlarm).threshold)).toBe(60_000);
  });

  it('rejects unbounded or out-of-range settings, naming the value', () => {
    const { stack: s } = nagCheckedStack('Invalid');
    const st = new Stream(s, 'S');
    const fn = new PipelineFunction(s, 'F', {
      entry: FIXTURE_HANDLER,
      serviceName: 'probe',
      pipelineEnv: 'dev',
    });
    expect(() => new KinesisConsumer(s, 'A', { stream: st, function: fn, retryAttempts: -1 })).toThrow(
      /retryAttempts -1/,
    );
    expect(() => new KinesisConsumer(s, 'B', { stream: st, function: fn, batchSize: 20_000 })).toThrow(
      /batchSize 20000/,
    );
    expect(
      () =>
        new KinesisConsumer(s, 'C', { stream: st, function: fn, maxBatchingWindow: Duration.millis(500) }),
    ).toThrow(/maxBatchingWindow "500 millis"/);
    expect(
      () => new KinesisConsumer(s, 'D', { stream: st, function: fn, maxRecordAge: Duration.seconds(10) }),
    ).toThrow(/maxRecordAge "10 seconds"/);
  });
});
