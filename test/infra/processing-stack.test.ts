import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  BINANCE_REST_URL,
  BRONZE_BUCKET,
  DB_CLUSTER_ARN,
  DB_NAME,
  DB_SECRET_ARN,
  NODE_OPTIONS,
  PIPELINE_ENV,
  POWERTOOLS_LOG_LEVEL,
  POWERTOOLS_METRICS_NAMESPACE,
  POWERTOOLS_SERVICE_NAME,
  REANCHOR_FUNCTION_NAME,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import {
  AGGREGATOR_METRICS,
  REANCHOR_OUTCOMES,
  REANCHOR_TIMINGS,
} from '../../lib/constructs/aggregator-monitoring.ts';
import { DEFAULT_METRICS_NAMESPACE } from '../../lib/constructs/pipeline-function.ts';
import {
  DATA_CONNECTOR_MIGRATIONS,
  PROCESSING_ENTRIES,
  SBE_DECODER_ASSET,
} from '../../lib/stacks/processing-stack.ts';
import {
  bundleDir,
  exportedResource,
  listFiles,
  logicalIds,
  type SynthesizedPipeline,
  synthPipeline,
} from './helpers.ts';

// One synthesis per environment for the whole file (each also proves the app is cdk-nag clean);
// prod runs esbuild so the bundles themselves can be inspected.
const dev = synthPipeline('dev');
const staging = synthPipeline('staging');
const prod = synthPipeline('prod', { bundle: true });
const all = [dev, staging, prod];

type Json = Record<string, unknown>;
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
type AlarmProps = {
  MetricName?: string;
  Namespace?: string;
  Threshold?: number;
  Dimensions?: { Name: string; Value: unknown }[];
  AlarmActions?: unknown[];
  OKActions?: unknown[];
};

/** The function whose Powertools service name is `service`: its logical id and properties. */
function fn(template: Template, service: string): { logicalId: string; properties: Json } {
  const matches = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
    ([, r]) =>
      (r.Properties.Environment?.Variables as Json | undefined)?.[POWERTOOLS_SERVICE_NAME] === service,
  );
  expect(matches, service).toHaveLength(1);
  const [logicalId, resource] = matches[0] as [string, { Properties: Json }];
  return { logicalId, properties: resource.Properties };
}

const variables = (template: Template, service: string) =>
  (fn(template, service).properties.Environment as { Variables: Json }).Variables;

/** The statements of the policies attached to a function's role. */
function statementsOf(template: Template, service: string): Statement[] {
  const roleId = (fn(template, service).properties.Role as { 'Fn::GetAtt': [string, string] })[
    'Fn::GetAtt'
  ][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** The service's only S3 statement puts objects under the Data stack's bronze/ prefix. */
function expectBronzePutOnly(service: string): void {
  const statements = statementsOf(prod.processing, service);
  const s3 = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
  expect(s3).toHaveLength(1);
  const [put] = s3 as [Statement];
  expect([put.Action].flat()).not.toContain('s3:GetObject*');
  expect([put.Action].flat()).not.toContain('s3:DeleteObject*');
  const join = (put.Resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  expect(join[1][1]).toBe('/bronze/*');
  expect(exportedResource(prod.data, join[1][0]).logicalId).toMatch(/^LakeBronze/);
  expect(exportedResource(prod.data, variables(prod.processing, service)[BRONZE_BUCKET]).logicalId).toMatch(
    /^LakeBronze/,
  );
}

function alarms(template: Template): AlarmProps[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (a) => a.Properties as AlarmProps,
  );
}

const dimension = (alarm: AlarmProps, name: string) => alarm.Dimensions?.find((d) => d.Name === name)?.Value;

/** The Data stack stream a `stream` dimension (an imported stream name) points at. */
function streamOf(p: SynthesizedPipeline, value: unknown): string {
  const target = exportedResource(p.data, value);
  expect(target.type).toBe('AWS::Kinesis::Stream');
  return target.logicalId;
}

/**
 * The Data stack stream a mapping reads: its EventSourceArn directly (standard polling), or through
 * the enhanced fan-out consumer it is mapped on (the consumer's StreamARN).
 */
function mappedStream(p: SynthesizedPipeline, mapping: Json): string {
  const consumerId = (mapping.EventSourceArn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
  if (consumerId === undefined) return streamOf(p, mapping.EventSourceArn);
  const consumer = p.processing.toJSON().Resources[consumerId] as { Type: string; Properties: Json };
  expect(consumer.Type).toBe('AWS::Kinesis::StreamConsumer');
  return streamOf(p, consumer.Properties.StreamARN);
}

const dataStreams = (p: SynthesizedPipeline) => logicalIds(p.data, 'AWS::Kinesis::Stream').sort();

/** The event source mappings of one function. */
function mappingsOf(template: Template, service: string): Json[] {
  const id = fn(template, service).logicalId;
  return Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))
    .map((m) => m.Properties as Json)
    .filter((m) => JSON.stringify(m.FunctionName) === JSON.stringify({ Ref: id }));
}

const onFailureQueue = (mapping: Json) =>
  (mapping.DestinationConfig as { OnFailure: { Destination: { 'Fn::GetAtt': string[] } } }).OnFailure
    .Destination['Fn::GetAtt'][0];

/** The security group ids a function runs with. */
const securityGroupsOf = (template: Template, service: string) =>
  (fn(template, service).properties.VpcConfig as { SecurityGroupIds: unknown[] }).SecurityGroupIds;

describe('ProcessingStack: the aggregator on the three streams', () => {
  it('maps each stream once, with bisect, bounded retries and age, partial batch responses', () => {
    for (const p of all) {
      const mappings = mappingsOf(p.processing, 'aggregator');
      expect(mappings).toHaveLength(3);
      const queues = logicalIds(p.processing, 'AWS::SQS::Queue');
      for (const m of mappings) {
        expect(m).toMatchObject({
          StartingPosition: 'LATEST',
          BatchSize: p.config.consumer.batchSize,
          MaximumBatchingWindowInSeconds: p.config.consumer.maxBatchingWindow.toSeconds(),
          ParallelizationFactor: p.config.consumer.parallelizationFactor,
          BisectBatchOnFunctionError: true,
          MaximumRetryAttempts: p.config.consumer.retryAttempts,
          MaximumRecordAgeInSeconds: p.config.consumer.maxRecordAge.toSeconds(),
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        });
        expect(queues).toContain(onFailureQueue(m));
      }
      // Each stream of the Data stack once, each with its own on-failure queue.
      expect(mappings.map((m) => mappedStream(p, m)).sort()).toEqual(dataStreams(p));
      expect(new Set(mappings.map(onFailureQueue)).size, 'one queue per stream').toBe(3);
    }
  });

  it('batches for latency in staging and prod, for cost in dev', () => {
    const settings = all.map(({ processing }) => {
      const m = mappingsOf(processing, 'aggregator')[0] as Json;
      return [m.BatchSize, m.MaximumBatchingWindowInSeconds, m.MaximumRetryAttempts];
    });
    expect(settings).toEqual([
      [100, 1, 2],
      [500, 0, 3],
      [1000, 0, 5],
    ]);
  });

  it('sizes each function per environment, finishing a batch well inside the lag alarm', () => {
    for (const p of all) {
      const sizes = p.config.processing;
      p.processing.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [POWERTOOLS_SERVICE_NAME]: 'aggregator' }) },
        MemorySize: sizes.aggregator.memoryMiB,
        Timeout: sizes.aggregator.timeout.toSeconds(),
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
      });
      expect(sizes.aggregator.timeout.toMilliseconds()).toBeLessThanOrEqual(
        p.config.alarms.iteratorAgeMs / 2,
      );
      p.processing.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [POWERTOOLS_SERVICE_NAME]: 're-anchor' }) },
        MemorySize: sizes.reanchor.memoryMiB,
        Timeout: sizes.reanchor.timeout.toSeconds(),
        ReservedConcurrentExecutions: sizes.reanchor.reservedConcurrency,
      });
    }
    expect(all.map((p) => fn(p.processing, 'aggregator').properties.MemorySize)).toEqual([1024, 1769, 1769]);
  });

  it('ships the WASM decoder next to each bundle, where the handlers load it', () => {
    for (const service of ['aggregator', 're-anchor', 'gap-detector', 'stream-archiver']) {
      const dir = bundleDir(prod.app, prod.processing, fn(prod.processing, service).logicalId);
      expect(listFiles(dir)).toEqual(
        expect.arrayContaining(['index.mjs', 'index.mjs.map', SBE_DECODER_ASSET.to]),
      );
      const copied = fs.readFileSync(path.join(dir, SBE_DECODER_ASSET.to));
      expect(copied.equals(fs.readFileSync(SBE_DECODER_ASSET.from))).toBe(true);
    }
    const { aggregator, reanchor, gapDetector, streamArchiver } = PROCESSING_ENTRIES;
    for (const entry of [aggregator, reanchor, gapDetector, streamArchiver]) {
      expect(fs.readFileSync(entry, 'utf8')).toContain(
        `new URL('./${SBE_DECODER_ASSET.to}', import.meta.url)`,
      );
    }
  });
});

describe('ProcessingStack: configuration traced to the Data stack', () => {
  it('gives the aggregator exactly the variables it reads', () => {
    for (const p of [dev, prod]) {
      const env = variables(p.processing, 'aggregator');
      expect(Object.keys(env).sort()).toEqual(
        [
          POWERTOOLS_SERVICE_NAME,
          POWERTOOLS_METRICS_NAMESPACE,
          POWERTOOLS_LOG_LEVEL,
          PIPELINE_ENV,
          NODE_OPTIONS,
          SYMBOLS,
          REDIS_URL,
          REDIS_AUTH_SECRET_ARN,
          REANCHOR_FUNCTION_NAME,
        ].sort(),
      );
      expect(env).toMatchObject({
        [POWERTOOLS_METRICS_NAMESPACE]: DEFAULT_METRICS_NAMESPACE,
        [POWERTOOLS_LOG_LEVEL]: p.config.logLevel,
        [PIPELINE_ENV]: p.config.name,
        [SYMBOLS]: 'BTCUSDT',
        [REANCHOR_FUNCTION_NAME]: { Ref: fn(p.processing, 're-anchor').logicalId },
      });
    }
  });

  it('points REDIS_URL (TLS) at the primary endpoint and REDIS_AUTH_SECRET_ARN at its token', () => {
    for (const p of [dev, prod]) {
      for (const service of ['aggregator', 're-anchor']) {
        const env = variables(p.processing, service);
        const [, parts] = (env[REDIS_URL] as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
        expect(parts[0]).toBe('rediss://');
        expect(exportedResource(p.data, parts[1])).toMatchObject({
          type: 'AWS::ElastiCache::ReplicationGroup',
          attribute: 'PrimaryEndPoint.Address',
        });
        expect(exportedResource(p.data, parts[3])).toMatchObject({ attribute: 'PrimaryEndPoint.Port' });
        expect(exportedResource(p.data, env[REDIS_AUTH_SECRET_ARN])).toMatchObject({
          type: 'AWS::SecretsManager::Secret',
          logicalId: expect.stringMatching(/^HotStateAuthToken/),
        });
      }
    }
  });

  it('gives the re-anchor Redis, bronze and the Binance REST URL, not the aggregator-only names', () => {
    const env = variables(prod.processing, 're-anchor');
    expect(env[BINANCE_REST_URL]).toBe('https://api.binance.com');
    expect(env[REANCHOR_FUNCTION_NAME]).toBeUndefined();
    expect(env[SYMBOLS]).toBeUndefined();
    expect(env[POWERTOOLS_SERVICE_NAME]).toBe('re-anchor');
  });
});

describe('ProcessingStack: least privilege', () => {
  it('lets the aggregator read its three streams, its secret, its queues, and invoke the re-anchor only', () => {
    for (const p of [dev, prod]) {
      const statements = statementsOf(p.processing, 'aggregator');
      for (const s of statements) expect(s.Effect).toBe('Allow');
      const reanchorId = fn(p.processing, 're-anchor').logicalId;

      const kinesisAll = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('kinesis:')));
      // With enhanced fan-out (prod), also subscribe on its own consumers (checked further down).
      const onConsumer = (s: Statement) => JSON.stringify(s.Resource).includes('ConsumerARN');
      const kinesis = kinesisAll.filter((s) => !onConsumer(s));
      expect(kinesis.map((s) => streamOf(p, s.Resource)).sort()).toEqual(dataStreams(p));
      for (const s of kinesis) {
        expect([s.Action].flat()).not.toContain('kinesis:PutRecord');
        expect([s.Action].flat()).toContain('kinesis:GetRecords');
      }
      const consumerStatements = kinesisAll.filter(onConsumer);
      expect(consumerStatements).toHaveLength(p.config.consumer.enhancedFanOut ? 3 : 0);
      for (const s of consumerStatements) {
        expect([s.Action].flat().sort()).toEqual([
          'kinesis:DescribeStreamConsumer',
          'kinesis:SubscribeToShard',
        ]);
      }

      const secrets = statements.filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('secretsmanager:')),
      );
      expect(secrets).toHaveLength(1);
      expect([secrets[0]?.Action].flat().sort()).toEqual([
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ]);
      expect(exportedResource(p.data, secrets[0]?.Resource).logicalId).toMatch(/^HotStateAuthToken/);

      const invoke = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('lambda:')));
      expect(invoke).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          // grantInvoke: the function and its versions/aliases (acknowledged IAM5, reason in the stack).
          Resource: [
            { 'Fn::GetAtt': [reanchorId, 'Arn'] },
            { 'Fn::Join': ['', [{ 'Fn::GetAtt': [reanchorId, 'Arn'] }, ':*']] },
          ],
        },
      ]);

      const sqs = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('sqs:')));
      expect(sqs.map((s) => (s.Resource as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]).sort()).toEqual(
        mappingsOf(p.processing, 'aggregator').map(onFailureQueue).sort(),
      );
      expect(kinesisAll.length + secrets.length + invoke.length + sqs.length).toBe(statements.length);
    }
  });

  it('lets the re-anchor read the Redis token and put bronze objects, nothing else', () => {
    const statements = statementsOf(prod.processing, 're-anchor');
    expect(statements).toHaveLength(2);
    const secret = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    expect(secret).toHaveLength(1);
    expect(exportedResource(prod.data, secret[0]?.Resource).logicalId).toMatch(/^HotStateAuthToken/);
    expectBronzePutOnly('re-anchor');
  });

  it('grants nothing on a wildcard resource', () => {
    for (const p of all) {
      const statements = Object.values(p.processing.findResources('AWS::IAM::Policy')).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
      );
      expect(statements.filter((s) => JSON.stringify(s.Resource) === '"*"')).toEqual([]);
      for (const role of Object.values(p.processing.findResources('AWS::IAM::Role'))) {
        // Only the AWS-managed basic and VPC execution policies (logs, ENIs).
        expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toMatch(
          /AWSLambdaBasicExecutionRole.*AWSLambdaVPCAccessExecutionRole/,
        );
        expect(role.Properties.Policies).toBeUndefined();
      }
    }
  });
});

describe('ProcessingStack: network', () => {
  it('runs the Redis clients in the compute subnets with the group Redis admits', () => {
    for (const p of [dev, prod]) {
      // The REST poller too: the IP's shared REST budget and Retry-After gate are in Redis (ADR 0075).
      for (const service of ['aggregator', 're-anchor', 'gap-detector', 'rest-poller']) {
        const vpc = fn(p.processing, service).properties.VpcConfig as {
          SubnetIds: { 'Fn::ImportValue': string }[];
          SecurityGroupIds: unknown[];
        };
        expect(vpc.SubnetIds).toHaveLength(2);
        for (const subnet of vpc.SubnetIds) expect(subnet['Fn::ImportValue']).toMatch(/VpcComputeSubnet\d/);
        expect(vpc.SecurityGroupIds).toHaveLength(1);
        const group = exportedResource(p.network, vpc.SecurityGroupIds[0]);
        expect(group).toMatchObject({ type: 'AWS::EC2::SecurityGroup', attribute: 'GroupId' });
        expect(group.logicalId).toMatch(/^ComputeSecurityGroup/);
        // The Data stack admits exactly that group on the Redis port.
        p.data.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
          IpProtocol: 'tcp',
          FromPort: 6379,
          ToPort: 6379,
          SourceSecurityGroupId: {
            'Fn::ImportValue': (vpc.SecurityGroupIds[0] as { 'Fn::ImportValue': string })['Fn::ImportValue'],
          },
        });
      }
    }
  });

  it('keeps the functions that never talk to Redis out of its security group: HTTPS out, nothing in', () => {
    for (const p of [dev, prod]) {
      const groups = p.processing.findResources('AWS::EC2::SecurityGroup');
      expect(Object.keys(groups)).toHaveLength(1);
      const [groupId, group] = Object.entries(groups)[0] as [string, { Properties: Json }];
      expect(group.Properties.SecurityGroupIngress).toBeUndefined();
      expect(group.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ]);
      expect(logicalIds(p.processing, 'AWS::EC2::SecurityGroupIngress')).toEqual([]);
      for (const service of ['data-connector', 'stream-archiver']) {
        expect(securityGroupsOf(p.processing, service)).toEqual([{ 'Fn::GetAtt': [groupId, 'GroupId'] }]);
        const subnets = (fn(p.processing, service).properties.VpcConfig as { SubnetIds: unknown[] })
          .SubnetIds;
        expect(JSON.stringify(subnets)).toMatch(/VpcComputeSubnet1.*VpcComputeSubnet2/);
      }
    }
  });
});

describe('ProcessingStack: the re-anchor', () => {
  it('retries an asynchronous request twice and drops it after five minutes', () => {
    for (const p of all) {
      p.processing.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fn(p.processing, 're-anchor').logicalId },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 300,
      });
      // The aggregator is invoked by its event sources only: no asynchronous settings to get wrong.
      expect(JSON.stringify(p.processing.findResources('AWS::Lambda::EventInvokeConfig'))).not.toContain(
        fn(p.processing, 'aggregator').logicalId,
      );
    }
  });

  it('keeps its timeout under the re-anchor lock TTL', () => {
    for (const p of all) expect(fn(p.processing, 're-anchor').properties.Timeout).toBeLessThan(30);
  });
});

describe('ProcessingStack: the REST poller', () => {
  it('runs every minute, one run at a time, finishing before the next tick', () => {
    for (const p of all) {
      const { logicalId, properties } = fn(p.processing, 'rest-poller');
      p.processing.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId, 'Arn'] } })],
      });
      expect(properties).toMatchObject({
        ReservedConcurrentExecutions: 1,
        Timeout: p.config.processing.restPoller.timeout.toSeconds(),
        MemorySize: p.config.processing.restPoller.memoryMiB,
      });
      expect(properties.Timeout).toBeLessThan(60);
      // The next tick is the retry: no asynchronous retry of a failed run (ScheduledFunction).
      p.processing.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId },
        MaximumRetryAttempts: 0,
      });
    }
  });

  it('writes bronze with the bucket name from the Data stack and Binance REST from the config', () => {
    for (const p of [dev, prod]) {
      const env = variables(p.processing, 'rest-poller');
      expect(env).toMatchObject({
        [SYMBOLS]: 'BTCUSDT',
        [BINANCE_REST_URL]: p.config.processing.binanceRestUrl,
      });
      expect(exportedResource(p.data, env[BRONZE_BUCKET])).toMatchObject({
        type: 'AWS::S3::Bucket',
        logicalId: expect.stringMatching(/^LakeBronze/),
      });
      // Redis for the shared REST budget (ADR 0075), with its auth token.
      expect(env[REDIS_URL]).toBeDefined();
      expect(env[REDIS_AUTH_SECRET_ARN]).toBeDefined();
    }
  });

  it('reads and puts objects under bronze/ and checkpoints/ only, and never deletes', () => {
    // Besides S3, only the Redis auth token (the shared REST budget, ADR 0075).
    const statements = statementsOf(prod.processing, 'rest-poller').filter((s) =>
      [s.Action].flat().every((a) => a.startsWith('s3:')),
    );
    const others = statementsOf(prod.processing, 'rest-poller')
      .flatMap((s) => [s.Action].flat())
      .filter((a) => !a.startsWith('s3:'));
    expect(others.every((a) => a.startsWith('secretsmanager:'))).toBe(true);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith('s3:Delete'))).toEqual([]);
    const objectPatterns = statements.flatMap((s) =>
      [s.Resource].flat().flatMap((r) => {
        const join = (r as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
        if (!join) return [];
        expect(exportedResource(prod.data, join[1][0]).logicalId).toMatch(/^LakeBronze/);
        return [join[1][1]];
      }),
    );
    expect([...new Set(objectPatterns)].sort()).toEqual(['/bronze/*', '/checkpoints/*']);
    const puts = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(puts).toHaveLength(2);
  });

  it('alarms when Binance bans the shared IP (418), which also stops re-anchors', () => {
    for (const p of all) {
      p.processing.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: DEFAULT_METRICS_NAMESPACE,
        MetricName: 'Banned418',
        Dimensions: [{ Name: 'service', Value: 'rest-poller' }],
        Statistic: 'Sum',
        Threshold: 0,
      });
    }
  });
});

describe('ProcessingStack: the gap detector', () => {
  it('runs every minute, one run at a time, with Redis, the re-anchor and bronze', () => {
    for (const p of all) {
      const { logicalId, properties } = fn(p.processing, 'gap-detector');
      p.processing.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId, 'Arn'] } })],
      });
      expect(properties).toMatchObject({
        ReservedConcurrentExecutions: 1,
        Timeout: p.config.processing.gapDetector.timeout.toSeconds(),
      });
      expect(properties.Timeout).toBeLessThan(60);
    }
    const env = variables(prod.processing, 'gap-detector');
    expect(env).toMatchObject({
      [REANCHOR_FUNCTION_NAME]: { Ref: fn(prod.processing, 're-anchor').logicalId },
      [BINANCE_REST_URL]: 'https://api.binance.com',
      [SYMBOLS]: 'BTCUSDT',
    });
    expect(exportedResource(prod.data, env[BRONZE_BUCKET]).logicalId).toMatch(/^LakeBronze/);
    expect(exportedResource(prod.data, env[REDIS_AUTH_SECRET_ARN]).logicalId).toMatch(/^HotStateAuthToken/);
  });

  it('may invoke the re-anchor and nothing else, read the Redis token, read and put bronze', () => {
    const statements = statementsOf(prod.processing, 'gap-detector');
    const reanchorId = fn(prod.processing, 're-anchor').logicalId;
    const invoke = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(JSON.stringify(invoke.map((s) => s.Resource))).toBe(
      JSON.stringify([
        [
          { 'Fn::GetAtt': [reanchorId, 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [reanchorId, 'Arn'] }, ':*']] },
        ],
      ]),
    );
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith('s3:Delete'))).toEqual([]);
    expect(new Set(actions.map((a) => a.split(':')[0]))).toEqual(new Set(['secretsmanager', 'lambda', 's3']));
  });
});

describe('ProcessingStack: the data connector', () => {
  it('runs every five minutes, one run at a time, through the Data API', () => {
    for (const p of all) {
      const { logicalId, properties } = fn(p.processing, 'data-connector');
      p.processing.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId, 'Arn'] } })],
      });
      expect(properties).toMatchObject({ ReservedConcurrentExecutions: 1 });
      expect(properties.Timeout).toBeLessThan(300);
    }
    const env = variables(prod.processing, 'data-connector');
    expect(exportedResource(prod.data, env[DB_SECRET_ARN]).type).toBe(
      'AWS::SecretsManager::SecretTargetAttachment',
    );
    expect(JSON.stringify(env[DB_CLUSTER_ARN])).toMatch(/:cluster:.*WarehouseCluster/);
    expect(env[DB_NAME]).toEqual(expect.any(String));
    expect(env[REDIS_URL]).toBeUndefined();
  });

  it('may use the Data API on its cluster, read bronze, and keep its checkpoints', () => {
    const statements = statementsOf(prod.processing, 'data-connector');
    const rds = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('rds-data:')));
    expect(rds).toHaveLength(1);
    expect(JSON.stringify(rds[0]?.Resource)).toMatch(/:cluster:.*WarehouseCluster/);
    const puts = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(JSON.stringify(puts.map((s) => s.Resource))).toContain('/checkpoints/*');
    expect(JSON.stringify(puts.map((s) => s.Resource))).not.toContain('/bronze/*');
  });

  it('ships its SQL migrations next to the bundle', () => {
    const dir = bundleDir(prod.app, prod.processing, fn(prod.processing, 'data-connector').logicalId);
    const shipped = listFiles(path.join(dir, 'migrations'));
    expect(shipped).toEqual(
      fs
        .readdirSync(DATA_CONNECTOR_MIGRATIONS)
        .filter((f) => f.endsWith('.sql'))
        .sort(),
    );
    expect(shipped.length).toBeGreaterThan(0);
    expect(fs.readFileSync(PROCESSING_ENTRIES.dataConnector, 'utf8')).toContain(
      "new URL('./migrations/', import.meta.url)",
    );
  });
});

describe('ProcessingStack: the stream archiver', () => {
  it('consumes the three streams from the oldest record, in large batches, replay-safe', () => {
    for (const p of all) {
      const mappings = mappingsOf(p.processing, 'stream-archiver');
      expect(mappings.map((m) => streamOf(p, m.EventSourceArn)).sort()).toEqual(dataStreams(p));
      for (const m of mappings) {
        expect(m).toMatchObject({
          StartingPosition: 'TRIM_HORIZON',
          BatchSize: p.config.processing.archiver.batchSize,
          MaximumBatchingWindowInSeconds: p.config.processing.archiver.maxBatchingWindow.toSeconds(),
          // Objects are keyed by the batch's sequence range: a bisected retry would overlap them.
          BisectBatchOnFunctionError: false,
          MaximumRetryAttempts: p.config.consumer.retryAttempts,
          MaximumRecordAgeInSeconds: p.config.consumer.maxRecordAge.toSeconds(),
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        });
      }
      const aggregatorQueues = mappingsOf(p.processing, 'aggregator').map(onFailureQueue);
      for (const queue of mappings.map(onFailureQueue)) expect(aggregatorQueues).not.toContain(queue);
    }
  });

  it('may only put objects under bronze/, besides reading its streams', () => {
    expectBronzePutOnly('stream-archiver');
  });
});

describe('ProcessingStack: alarms and dashboard', () => {
  it('wires every alarm to the alarm topic, for alarm and recovery', () => {
    for (const p of all) {
      const list = alarms(p.processing);
      expect(list.length).toBeGreaterThan(0);
      for (const alarm of list) {
        expect(alarm.AlarmActions).toEqual([
          { 'Fn::ImportValue': expect.stringMatching(/Observability:.*AlarmTopic/) },
        ]);
        expect(alarm.OKActions).toEqual(alarm.AlarmActions);
      }
    }
  });

  it('alarms once per function on lag and errors (not once per stream), and on each on-failure queue', () => {
    for (const p of all) {
      const list = alarms(p.processing);
      const byFunction = (metricName: string) =>
        list
          .filter((a) => a.MetricName === metricName)
          .map((a) => (dimension(a, 'FunctionName') as { Ref: string }).Ref)
          .sort();
      const ids = (...services: string[]) =>
        services.map((service) => fn(p.processing, service).logicalId).sort();
      expect(byFunction('IteratorAge')).toEqual(ids('aggregator', 'stream-archiver'));
      for (const alarm of list.filter((a) => a.MetricName === 'IteratorAge')) {
        expect(alarm.Threshold).toBe(p.config.alarms.iteratorAgeMs);
      }
      expect(byFunction('Errors')).toEqual(
        ids('aggregator', 're-anchor', 'rest-poller', 'gap-detector', 'data-connector', 'stream-archiver'),
      );
      for (const alarm of list.filter((a) => a.MetricName === 'Errors')) {
        expect(alarm.Threshold).toBe(p.config.alarms.lambdaErrors);
      }
      const queueDepth = list.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
      expect(queueDepth).toHaveLength(logicalIds(p.processing, 'AWS::SQS::Queue').length);
      expect(queueDepth).toHaveLength(6);
    }
  });

  it('alarms on exchange-to-Redis p99 per stream, at each environment threshold', () => {
    for (const p of all) {
      const latency = alarms(p.processing).filter((a) => a.MetricName === 'ExchangeToRedisP99');
      expect(latency).toHaveLength(3);
      for (const alarm of latency) {
        expect(alarm).toMatchObject({
          Namespace: DEFAULT_METRICS_NAMESPACE,
          Threshold: p.config.alarms.exchangeToRedisP99Ms,
        });
        expect(dimension(alarm, 'service')).toBe('aggregator');
      }
      expect(latency.map((a) => streamOf(p, dimension(a, 'stream'))).sort()).toEqual(dataStreams(p));
    }
    expect(all.map((p) => p.config.alarms.exchangeToRedisP99Ms)).toEqual([5000, 2500, 2500]);
  });

  it('alarms on any depth mismatch (depth stream) and any decode error (every stream)', () => {
    for (const p of [dev, prod]) {
      const list = alarms(p.processing);
      const mismatches = list.filter((a) => a.MetricName === 'DepthMismatches');
      expect(mismatches).toHaveLength(1);
      expect(mismatches[0]?.Threshold).toBe(0);
      expect(streamOf(p, dimension(mismatches[0] as AlarmProps, 'stream'))).toMatch(/^StreamsDepth/);
      const decodeErrors = list.filter((a) => a.MetricName === 'DecodeErrors');
      expect(decodeErrors.map((a) => a.Threshold)).toEqual([0, 0, 0]);
      expect(decodeErrors.map((a) => streamOf(p, dimension(a, 'stream'))).sort()).toEqual(dataStreams(p));
    }
  });

  it('alarms on failed and dropped re-anchors, tolerating throttles from its deliberate limit', () => {
    for (const p of all) {
      p.processing.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: DEFAULT_METRICS_NAMESPACE,
        MetricName: 'Reanchor_failed',
        Dimensions: [{ Name: 'service', Value: 're-anchor' }],
        Statistic: 'Sum',
        Threshold: 0,
      });
      p.processing.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'AsyncEventsDropped',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn(p.processing, 're-anchor').logicalId } }],
        Threshold: 0,
      });
      const throttles = Object.fromEntries(
        alarms(p.processing)
          .filter((a) => a.MetricName === 'Throttles')
          .map((a) => [(dimension(a, 'FunctionName') as { Ref: string }).Ref, a.Threshold]),
      );
      expect(throttles[fn(p.processing, 're-anchor').logicalId]).toBe(20);
      expect(throttles[fn(p.processing, 'aggregator').logicalId]).toBe(0);
    }
  });

  it('alarms on a persistent gap rate and on re-anchors deferred by the REST weight budget', () => {
    for (const p of all) {
      p.processing.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Reanchor_swapped',
        Dimensions: [{ Name: 'service', Value: 're-anchor' }],
        Threshold: 30,
        EvaluationPeriods: 3,
        Period: 300,
      });
      p.processing.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ReanchorDeferred_weight-budget',
        Dimensions: [{ Name: 'service', Value: 're-anchor' }],
        Threshold: 0,
        EvaluationPeriods: 2,
      });
    }
    const reanchor = fs.readFileSync(PROCESSING_ENTRIES.reanchor, 'utf8');
    expect(reanchor).toMatch(/`ReanchorDeferred_\$\{result\.reason\}`/);
  });

  it('draws the processing dashboard with the EMF metrics of its functions', () => {
    prod.processing.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'btcusdt-prod-processing',
    });
    const body = JSON.stringify(prod.processing.findResources('AWS::CloudWatch::Dashboard'));
    for (const name of [
      ...AGGREGATOR_METRICS,
      ...REANCHOR_OUTCOMES.map((o) => `Reanchor_${o}`),
      ...REANCHOR_TIMINGS,
      'IteratorAge',
      'GetRecords.IteratorAgeMilliseconds',
    ]) {
      expect(body, name).toContain(`\\"${name}\\"`);
    }
    for (const title of [
      'aggregator: exchange → Redis p99 (ms)',
      're-anchor: outcomes',
      'DepthConsumer: iterator age',
    ])
      expect(body).toContain(title);
  });

  it('watches the metric names the handlers publish', () => {
    const aggregator = fs.readFileSync(PROCESSING_ENTRIES.aggregator, 'utf8');
    for (const name of AGGREGATOR_METRICS) expect(aggregator, name).toContain(`'${name}'`);
    expect(aggregator).toContain("addDimension('stream'");
    const reanchor = fs.readFileSync(PROCESSING_ENTRIES.reanchor, 'utf8');
    // One metric per outcome: `Reanchor_<status>`.
    expect(reanchor).toMatch(/`Reanchor_\$\{result\.status\}`/);
    for (const name of REANCHOR_TIMINGS) expect(reanchor, name).toContain(`'${name}'`);
    const statuses = fs.readFileSync(
      path.join(path.dirname(PROCESSING_ENTRIES.reanchor), 're-anchor.ts'),
      'utf8',
    );
    for (const outcome of REANCHOR_OUTCOMES) expect(statuses, outcome).toContain(`status: '${outcome}'`);
    expect(fs.readFileSync(PROCESSING_ENTRIES.restPoller, 'utf8')).toContain("'Banned418'");
    const gaps = fs.readFileSync(PROCESSING_ENTRIES.gapDetector, 'utf8');
    expect(gaps).toMatch(/`Gap_\$\{reason\}`/);
    expect(gaps).toContain("addDimension('symbol'");
    const connector = fs.readFileSync(PROCESSING_ENTRIES.dataConnector, 'utf8');
    for (const name of ['ObjectsLoaded', 'ObjectsUnchanged', 'ObjectsFailed', 'RowsUpserted'])
      expect(connector, name).toContain(`'${name}'`);
    // Both name their Powertools service as the stack does (the `service` dimension).
    expect(aggregator).toContain("new Metrics({ serviceName: 'aggregator' })");
    expect(reanchor).toContain("new Metrics({ serviceName: 're-anchor' })");
  });
});

describe('ProcessingStack: enhanced fan-out for the aggregator', () => {
  const consumers = (p: SynthesizedPipeline) =>
    Object.entries(p.processing.findResources('AWS::Kinesis::StreamConsumer')).map(([id, r]) => ({
      id,
      properties: r.Properties as { StreamARN: unknown; ConsumerName: string },
    }));

  it('registers one consumer per stream where the config switches it on (staging, prod), none in dev', () => {
    expect(all.map((p) => p.config.consumer.enhancedFanOut)).toEqual([false, true, true]);
    expect(consumers(dev)).toHaveLength(0);
    for (const p of [staging, prod]) {
      const registered = consumers(p);
      expect(registered.map((c) => streamOf(p, c.properties.StreamARN)).sort()).toEqual(dataStreams(p));
      for (const c of registered)
        expect(c.properties.ConsumerName).toMatch(new RegExp(`^${p.config.prefix}-`));
    }
  });

  it('maps the aggregator on the consumer ARNs, the archiver on the streams themselves', () => {
    for (const p of [staging, prod]) {
      const registered = new Set(consumers(p).map((c) => c.id));
      const aggregatorSources = mappingsOf(p.processing, 'aggregator').map(
        (m) => (m.EventSourceArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'],
      );
      expect(aggregatorSources.map(([id, attribute]) => [registered.has(id), attribute])).toEqual([
        [true, 'ConsumerARN'],
        [true, 'ConsumerARN'],
        [true, 'ConsumerARN'],
      ]);
      const archiver = mappingsOf(p.processing, 'stream-archiver');
      expect(archiver.map((m) => streamOf(p, m.EventSourceArn)).sort()).toEqual(dataStreams(p));
    }
    for (const m of mappingsOf(dev.processing, 'aggregator')) streamOf(dev, m.EventSourceArn);
  });

  it('lets the aggregator subscribe to its own consumers only', () => {
    const onConsumers = (service: string) =>
      statementsOf(prod.processing, service).filter((s) =>
        JSON.stringify(s.Resource).includes('ConsumerARN'),
      );
    const resources = onConsumers('aggregator').map(
      (s) => (s.Resource as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
    );
    expect(resources.sort()).toEqual(
      consumers(prod)
        .map((c) => c.id)
        .sort(),
    );
    expect(onConsumers('stream-archiver')).toEqual([]);
  });

  it("alarms on each consumer's lag (MillisBehindLatest) at the iterator-age threshold", () => {
    for (const p of [staging, prod]) {
      const lag = alarms(p.processing).filter(
        (a) => a.MetricName === 'SubscribeToShardEvent.MillisBehindLatest',
      );
      expect(lag).toHaveLength(3);
      const names = consumers(p)
        .map((c) => c.properties.ConsumerName)
        .sort();
      expect(lag.map((a) => dimension(a, 'ConsumerName')).sort()).toEqual(names);
      for (const a of lag) {
        expect(a).toMatchObject({ Namespace: 'AWS/Kinesis', Threshold: p.config.alarms.iteratorAgeMs });
        streamOf(p, dimension(a, 'StreamName'));
        expect(a.AlarmActions?.length, 'wired to the alarm topic').toBeGreaterThan(0);
      }
    }
    expect(alarms(dev.processing).filter((a) => a.MetricName?.startsWith('SubscribeToShard'))).toEqual([]);
  });
});
