import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { resolveEnvironmentConfig } from '../../lib/config/environment-config.ts';
import { Observability } from '../../lib/constructs/observability.ts';
import { PipelineFunction } from '../../lib/constructs/pipeline-function.ts';
import { FIXTURE_HANDLER, nagCheckedStack, synthPipeline } from './helpers.ts';

const dev = synthPipeline('dev');
const prod = synthPipeline('prod');

type AlarmResource = { Properties: { AlarmActions?: unknown[]; OKActions?: unknown[]; MetricName?: string } };
const alarmsOf = (t: typeof prod.observability) =>
  Object.values(t.findResources('AWS::CloudWatch::Alarm')) as AlarmResource[];

describe('ObservabilityStack', () => {
  it('publishes alarms to a KMS-encrypted, TLS-only topic CloudWatch may use', () => {
    prod.observability.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    prod.observability.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    prod.observability.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('wires every alarm to the topic, for alarm and recovery', () => {
    const alarms = alarmsOf(prod.observability);
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlarmTopic/) }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: expect.stringMatching(/^AlarmTopic/) }]);
    }
  });

  it('alarms on consumer lag with the per-environment threshold', () => {
    for (const { observability, config } of [dev, prod]) {
      observability.resourcePropertiesCountIs(
        'AWS::CloudWatch::Alarm',
        { MetricName: 'GetRecords.IteratorAgeMilliseconds', Threshold: config.alarms.iteratorAgeMs },
        3,
      );
    }
    expect(dev.config.alarms.iteratorAgeMs).toBeGreaterThan(prod.config.alarms.iteratorAgeMs);
  });

  it('alarms on write throttles on every stream', () => {
    prod.observability.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'PutRecords.ThrottledRecords', Statistic: 'Sum', Threshold: 0 },
      3,
    );
  });

  it('treats ingest silence as an incident in prod (missing data breaches), not in dev', () => {
    prod.observability.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      {
        MetricName: 'IncomingRecords',
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        Period: 300,
        TreatMissingData: 'breaching',
      },
      3,
    );
    dev.observability.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'IncomingRecords' },
      0,
    );
  });

  it('alarms on Redis CPU, memory and any eviction across every node', () => {
    prod.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: prod.config.alarms.redisEngineCpuPercent,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'MAX([n0,n1])' }),
        Match.objectLike({
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'EngineCPUUtilization' }) }),
        }),
      ]),
    });
    prod.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: prod.config.alarms.redisMemoryPercent,
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'DatabaseMemoryUsagePercentage' }),
          }),
        }),
      ]),
    });
    prod.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 0,
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Evictions' }) }),
        }),
      ]),
    });
    dev.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'MAX([n0])' })]),
    });
  });

  it('alarms when Aurora runs pinned near its maximum capacity', () => {
    prod.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ACUUtilization',
      Namespace: 'AWS/RDS',
      Threshold: 90,
      EvaluationPeriods: 3,
    });
  });

  it('draws the overview dashboard with an alarm panel listing the alarms', () => {
    prod.observability.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'btcusdt-prod-overview',
    });
    const body = JSON.stringify(prod.observability.findResources('AWS::CloudWatch::Dashboard'));
    // The alarm panel is rendered at synthesis, so it lists alarms added after it was created.
    expect(body).toMatch(/OverviewStreamsmarketsbedepthSilence[0-9A-F]{8}/);
    expect(body).toMatch(/OverviewAuroraAcuUtilization[0-9A-F]{8}/);
    for (const title of ['Kinesis: incoming records', 'Redis: engine CPU %', 'Aurora: CPU %'])
      expect(body).toContain(title);
  });
});

describe('Observability construct', () => {
  const config = resolveEnvironmentConfig({ envName: 'prod' });
  const { stack } = nagCheckedStack('Processing');
  const topic = Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:ap-northeast-1:123456789012:alarms');
  const observability = new Observability(stack, 'Observability', {
    alarmTopic: topic,
    dashboardName: 'btcusdt-prod-processing',
    thresholds: config.alarms,
  });
  const fn = new PipelineFunction(stack, 'GapDetector', {
    entry: FIXTURE_HANDLER,
    serviceName: 'gap-detector',
    pipelineEnv: 'prod',
    timeout: Duration.seconds(50),
  });
  const alarms = observability.addLambdaAlarms(fn);
  const template = Template.fromStack(stack);

  it('gives a later stack errors, throttles and duration alarms for a function in one call', () => {
    expect(alarms).toHaveLength(3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Threshold: 0,
      AlarmActions: ['arn:aws:sns:ap-northeast-1:123456789012:alarms'],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Threshold: 0 });
    // 80% of the 50 s timeout.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      ExtendedStatistic: 'p99',
      Threshold: 40_000,
    });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'btcusdt-prod-processing',
    });
    expect(JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'))).toContain(
      'gap-detector: duration',
    );
  });
});
