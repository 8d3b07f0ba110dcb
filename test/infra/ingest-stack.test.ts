import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Cluster } from 'aws-cdk-lib/aws-ecs';
import { describe, expect, it } from 'vitest';
import {
  AWS_REGION,
  BINANCE_API_KEY_SECRET_ARN,
  BINANCE_WS_URL,
  HTTP_PORT,
  PIPELINE_ENV,
  POWERTOOLS_LOG_LEVEL,
  POWERTOOLS_METRICS_NAMESPACE,
  POWERTOOLS_SERVICE_NAME,
  REDIS_URL,
  STREAM_BESTBIDASK,
  STREAM_DEPTH,
  STREAM_TRADE,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { BINANCE_SBE_WS_URL } from '../../core/market/venue-endpoints.ts';
import { PipelineService, type PipelineServiceProps } from '../../lib/constructs/pipeline-service.ts';
import { INGESTOR_BUILD_CONTEXT, INGESTOR_DOCKERFILE } from '../../lib/stacks/ingest-stack.ts';
import { logicalIds, nagCheckedStack, type SynthesizedPipeline, synthPipeline } from './helpers.ts';

// One synthesis per environment for the whole file (each also proves the app is cdk-nag clean).
const dev = synthPipeline('dev');
const staging = synthPipeline('staging');
const prod = synthPipeline('prod');
const all = [dev, staging, prod];

type Json = Record<string, unknown>;
type PolicyStatementJson = { Effect: string; Action: string | string[]; Resource: unknown };

function onlyResource(template: Template, type: string): { logicalId: string; properties: Json } {
  const resources = template.findResources(type);
  const ids = Object.keys(resources);
  expect(ids, type).toHaveLength(1);
  const logicalId = ids[0] as string;
  return { logicalId, properties: (resources[logicalId] as { Properties: Json }).Properties };
}

function container(template: Template): Json {
  const { properties } = onlyResource(template, 'AWS::ECS::TaskDefinition');
  const containers = properties.ContainerDefinitions as Json[];
  expect(containers).toHaveLength(1);
  return containers[0] as Json;
}

/** What an `Fn::ImportValue` in the Ingest stack points at: the Data stack resource behind the export. */
function exportedResource(p: SynthesizedPipeline, value: unknown): { logicalId: string; type: string } {
  const importName = (value as { 'Fn::ImportValue'?: string })['Fn::ImportValue'];
  expect(importName, JSON.stringify(value)).toBeTypeOf('string');
  const outputs = p.data.toJSON().Outputs as Record<string, { Value: unknown; Export: { Name: string } }>;
  const output = Object.values(outputs).find((o) => o.Export.Name === importName);
  expect(output, String(importName)).toBeDefined();
  const ref = output?.Value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const logicalId = ref.Ref ?? ref['Fn::GetAtt']?.[0];
  const resources = p.data.toJSON().Resources as Record<string, { Type: string }>;
  return { logicalId: String(logicalId), type: String(resources[String(logicalId)]?.Type) };
}

describe('IngestStack: the Fargate service', () => {
  it('runs the ingestor on ARM64 Fargate with the size of each environment', () => {
    for (const { ingest, config } of all) {
      ingest.hasResourceProperties('AWS::ECS::TaskDefinition', {
        RequiresCompatibilities: ['FARGATE'],
        NetworkMode: 'awsvpc',
        RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
        Cpu: String(config.ingest.cpu),
        Memory: String(config.ingest.memoryMiB),
      });
    }
  });

  it('keeps one task in dev and staging and two in prod', () => {
    const counts = all.map(({ ingest }) => onlyResource(ingest, 'AWS::ECS::Service').properties.DesiredCount);
    expect(counts).toEqual([1, 1, 2]);
  });

  it('deploys make-before-break and rolls back a deployment whose tasks never turn healthy', () => {
    for (const { ingest } of all) {
      ingest.hasResourceProperties('AWS::ECS::Service', {
        LaunchType: 'FARGATE',
        DeploymentConfiguration: Match.objectLike({
          MinimumHealthyPercent: 100,
          MaximumPercent: 200,
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        }),
        EnableExecuteCommand: false,
      });
    }
  });

  it('runs in the compute subnets with no public IP and no load balancer', () => {
    for (const p of [dev, prod]) {
      const { properties } = onlyResource(p.ingest, 'AWS::ECS::Service');
      expect(properties.LoadBalancers).toBeUndefined();
      const vpcConfig = (properties.NetworkConfiguration as Json).AwsvpcConfiguration as Json;
      expect(vpcConfig.AssignPublicIp).toBe('DISABLED');
      const subnets = vpcConfig.Subnets as { 'Fn::ImportValue': string }[];
      expect(subnets).toHaveLength(2);
      for (const subnet of subnets) expect(subnet['Fn::ImportValue']).toMatch(/VpcComputeSubnet\d/);
    }
    for (const { ingest } of all) {
      expect(logicalIds(ingest, 'AWS::ElasticLoadBalancingV2::LoadBalancer')).toEqual([]);
      expect(container(ingest).PortMappings).toBeUndefined();
    }
  });

  it('admits no inbound traffic and lets out only HTTPS and the Binance port', () => {
    for (const { ingest } of all) {
      expect(logicalIds(ingest, 'AWS::EC2::SecurityGroupIngress')).toEqual([]);
      const { properties } = onlyResource(ingest, 'AWS::EC2::SecurityGroup');
      expect(properties.SecurityGroupIngress).toBeUndefined();
      expect(properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
        expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 9443, ToPort: 9443 }),
      ]);
    }
    expect(new URL(BINANCE_SBE_WS_URL).port).toBe('9443');
  });

  it('checks /health on HTTP_PORT inside the container, with node (the image has no curl)', () => {
    const c = container(prod.ingest);
    expect(c.HealthCheck).toEqual({
      Command: [
        'CMD',
        'node',
        '-e',
        "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
      ],
      Interval: 15,
      Timeout: 5,
      Retries: 3,
      StartPeriod: 30,
    });
    expect(c.Environment).toContainEqual({ Name: HTTP_PORT, Value: '8080' });
    expect(c.ReadonlyRootFilesystem).toBe(true);
    // The ingestor flushes to Kinesis within 20 s of SIGTERM (SbeIngestor.stop); SIGKILL comes at 30.
    expect(c.StopTimeout).toBe(30);
  });

  it('passes exactly the variables the ingestor reads, by their shared names', () => {
    for (const p of [dev, prod]) {
      const env = Object.fromEntries(
        (container(p.ingest).Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
      );
      expect(Object.keys(env).sort()).toEqual(
        [
          POWERTOOLS_SERVICE_NAME,
          POWERTOOLS_METRICS_NAMESPACE,
          POWERTOOLS_LOG_LEVEL,
          PIPELINE_ENV,
          AWS_REGION,
          HTTP_PORT,
          SYMBOLS,
          STREAM_TRADE,
          STREAM_BESTBIDASK,
          STREAM_DEPTH,
          BINANCE_API_KEY_SECRET_ARN,
          BINANCE_WS_URL,
        ].sort(),
      );
      expect(env).toMatchObject({
        [POWERTOOLS_SERVICE_NAME]: 'sbe-ingestor',
        [POWERTOOLS_METRICS_NAMESPACE]: 'BtcusdtPipeline',
        [POWERTOOLS_LOG_LEVEL]: p.config.logLevel,
        [PIPELINE_ENV]: p.config.name,
        [AWS_REGION]: 'ap-northeast-1',
        [SYMBOLS]: 'BTCUSDT',
        [BINANCE_WS_URL]: 'wss://stream-sbe.binance.com:9443',
      });
      expect(env[REDIS_URL]).toBeUndefined();
      // Names and ARNs come from the Data stack's resources, never by convention.
      for (const name of [STREAM_TRADE, STREAM_BESTBIDASK, STREAM_DEPTH]) {
        expect(exportedResource(p, env[name]).type).toBe('AWS::Kinesis::Stream');
      }
      expect(exportedResource(p, env[BINANCE_API_KEY_SECRET_ARN]).type).toBe('AWS::SecretsManager::Secret');
    }
  });

  it('keeps the logs per environment, without ever blocking the event loop on them', () => {
    const days = all.map(
      ({ ingest }) => onlyResource(ingest, 'AWS::Logs::LogGroup').properties.RetentionInDays,
    );
    expect(days).toEqual([7, 14, 30]);
    expect(container(prod.ingest).LogConfiguration).toEqual({
      LogDriver: 'awslogs',
      Options: expect.objectContaining({
        'awslogs-group': { Ref: onlyResource(prod.ingest, 'AWS::Logs::LogGroup').logicalId },
        'awslogs-stream-prefix': 'sbe-ingestor',
        mode: 'non-blocking',
      }),
    });
  });

  it('enables Container Insights on its cluster (running-task counts come from there)', () => {
    prod.ingest.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'btcusdt-prod-ingest',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });
});

describe('IngestStack: least privilege', () => {
  it('lets the task role put records to its three streams and read its one secret, nothing else', () => {
    for (const p of [dev, prod]) {
      const taskRoleId = (
        onlyResource(p.ingest, 'AWS::ECS::TaskDefinition').properties.TaskRoleArn as {
          'Fn::GetAtt': [string, string];
        }
      )['Fn::GetAtt'][0];
      const role = p.ingest.toJSON().Resources[taskRoleId].Properties as Json;
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.Policies).toBeUndefined();

      const policies = Object.values(p.ingest.findResources('AWS::IAM::Policy')).filter((policy) =>
        JSON.stringify(policy.Properties.Roles).includes(taskRoleId),
      );
      expect(policies).toHaveLength(1);
      const statements = policies[0]?.Properties.PolicyDocument.Statement as PolicyStatementJson[];
      const grants = statements.map((s) => {
        expect(s.Effect).toBe('Allow');
        const target = exportedResource(p, s.Resource);
        return { actions: [s.Action].flat().sort(), type: target.type, logicalId: target.logicalId };
      });
      const streams = grants.filter((g) => g.type === 'AWS::Kinesis::Stream');
      expect(streams.map((g) => g.actions)).toEqual(
        Array(3).fill(['kinesis:PutRecord', 'kinesis:PutRecords']),
      );
      expect(new Set(streams.map((g) => g.logicalId)).size).toBe(3);
      expect(logicalIds(p.data, 'AWS::Kinesis::Stream').sort()).toEqual(
        streams.map((g) => g.logicalId).sort(),
      );
      // Secret.grantRead: the value, plus DescribeSecret (metadata of the same secret).
      expect(grants.filter((g) => g.type !== 'AWS::Kinesis::Stream')).toEqual([
        {
          actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
          type: 'AWS::SecretsManager::Secret',
          logicalId: expect.stringMatching(/^BinanceApiKey/),
        },
      ]);
    }
  });

  it('pulls its image and writes its logs with an execution role scoped to them', () => {
    const statements = Object.values(prod.ingest.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes('ExecutionRole'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatementJson[]);
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetAuthorizationToken',
      'ecr:GetDownloadUrlForLayer',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    const wildcards = statements.filter((s) => s.Resource === '*').map((s) => s.Action);
    expect(wildcards).toEqual(['ecr:GetAuthorizationToken']);
  });
});

describe('IngestStack: the container image', () => {
  const assetManifest = JSON.parse(
    fs.readFileSync(path.join(prod.app.outdir, `${prod.stacks.ingest.artifactId}.assets.json`), 'utf8'),
  ) as {
    dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
  };
  const images = Object.values(assetManifest.dockerImages);
  const context = path.join(prod.app.outdir, images[0]?.source.directory ?? 'missing');

  it('is built for linux/arm64 from the ingestor Dockerfile', () => {
    expect(images).toHaveLength(1);
    expect(images[0]?.source).toMatchObject({ dockerFile: INGESTOR_DOCKERFILE, platform: 'linux/arm64' });
  });

  it('has a build context holding every path the Dockerfile copies, and nothing else', () => {
    const dockerfile = fs.readFileSync(INGESTOR_DOCKERFILE, 'utf8');
    const sources = dockerfile
      .split('\n')
      .filter((line) => /^COPY\s/.test(line) && !line.includes('--from='))
      .flatMap((line) => line.trim().split(/\s+/).slice(1, -1))
      .map((source) => source.replace(/\/$/, ''));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(INGESTOR_BUILD_CONTEXT, source).toContain(source);
      expect(fs.existsSync(path.join(context, source)), source).toBe(true);
    }
    expect(fs.readdirSync(context).sort()).toEqual(
      [...new Set(INGESTOR_BUILD_CONTEXT.map((p) => p.split('/')[0]))].sort(),
    );
    expect(fs.readdirSync(path.join(context, 'lambdas'))).toEqual(['shared']);
    expect(fs.readdirSync(path.join(context, 'containers'))).toEqual(['build.sh', 'sbe-ingestor']);
    expect(fs.existsSync(path.join(context, 'native', 'dist', 'sbe_decoder.wasm'))).toBe(true);
  });
});

describe('IngestStack: alarms and dashboard', () => {
  it('alarms when fewer tasks run than desired for five minutes, missing data included', () => {
    for (const p of all) {
      p.ingest.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'ECS/ContainerInsights',
        MetricName: 'RunningTaskCount',
        Statistic: 'Minimum',
        Period: 60,
        EvaluationPeriods: 5,
        ComparisonOperator: 'LessThanThreshold',
        Threshold: p.config.ingest.desiredCount,
        TreatMissingData: 'breaching',
        Dimensions: Match.arrayWith([
          {
            Name: 'ServiceName',
            Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestorService'), 'Name'] },
          },
        ]),
        AlarmActions: [{ 'Fn::ImportValue': Match.stringLikeRegexp('Observability:.*AlarmTopic') }],
        OKActions: [{ 'Fn::ImportValue': Match.stringLikeRegexp('Observability:.*AlarmTopic') }],
      });
    }
  });

  it('alarms on frames the buffer dropped and on decode errors, in the namespace and service the task publishes EMF to', () => {
    for (const p of all) {
      const env = Object.fromEntries(
        (container(p.ingest).Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
      );
      const emf = {
        Namespace: env[POWERTOOLS_METRICS_NAMESPACE],
        Dimensions: [{ Name: 'service', Value: env[POWERTOOLS_SERVICE_NAME] }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ 'Fn::ImportValue': Match.stringLikeRegexp('Observability:.*AlarmTopic') }],
      };
      expect(env[POWERTOOLS_SERVICE_NAME]).toBe('sbe-ingestor');
      p.ingest.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...emf,
        MetricName: 'BufferOverflowFrames',
        EvaluationPeriods: 1,
      });
      p.ingest.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...emf,
        MetricName: 'DecodeErrors',
        EvaluationPeriods: 2,
      });
    }
    const body = JSON.stringify(prod.ingest.findResources('AWS::CloudWatch::Dashboard'));
    for (const title of ['sbe-ingestor: frames per minute', 'sbe-ingestor: continuity and Kinesis'])
      expect(body).toContain(title);
    // The dimensions the bridge publishes (containers/sbe-ingestor/main.ts: byLabel stream and reason).
    for (const series of [
      '"stream","depth"',
      '"reason","missing"',
      '"KinesisPutFailures"',
      '"BufferedBytes"',
    ])
      expect(body).toContain(series.replaceAll('"', '\\"'));
  });

  it('draws the ingest dashboard: alarms, CPU, memory and task counts', () => {
    prod.ingest.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'btcusdt-prod-ingest' });
    const body = JSON.stringify(prod.ingest.findResources('AWS::CloudWatch::Dashboard'));
    for (const title of ['sbe-ingestor: CPU %', 'sbe-ingestor: memory %', 'sbe-ingestor: tasks']) {
      expect(body).toContain(title);
    }
    expect(body).toMatch(/ObservabilityIngestorRunningTasks[0-9A-F]{8}/);
    for (const metric of ['CPUUtilization', 'MemoryUtilization', 'RunningTaskCount', 'DesiredTaskCount'])
      expect(body).toContain(metric);
  });
});

describe('PipelineService', () => {
  const base = (cluster: Cluster): PipelineServiceProps => ({
    cluster,
    dockerfile: INGESTOR_DOCKERFILE,
    buildContext: INGESTOR_BUILD_CONTEXT,
    serviceName: 'sbe-ingestor',
    pipelineEnv: 'dev',
  });

  it('rejects invalid settings before building anything, naming the value', () => {
    const { stack } = nagCheckedStack('Invalid');
    const cluster = new Cluster(stack, 'Cluster');
    const cases: [Partial<PipelineServiceProps>, RegExp][] = [
      [{ cpu: 300 }, /PipelineService Ingestor: invalid cpu 300: Fargate takes 256, 512/],
      [
        { cpu: 512, memoryLimitMiB: 512 },
        /invalid memoryLimitMiB 512: with cpu 512 Fargate takes 1024 to 4096/,
      ],
      [{ desiredCount: 11 }, /invalid desiredCount 11/],
      [{ serviceName: 'SbeIngestor' }, /invalid serviceName "SbeIngestor"/],
      [{ httpPort: 0 }, /invalid httpPort 0/],
      [{ buildContext: ['core', 'node_modules/*'] }, /invalid buildContext entry "node_modules\/\*"/],
      [
        { buildContext: ['core'] },
        /invalid dockerfile "containers\/sbe-ingestor\/Dockerfile": it must lie inside/,
      ],
      [{ dockerfile: '/abs/Dockerfile' }, /invalid dockerfile "\/abs\/Dockerfile"/],
    ];
    for (const [change, message] of cases) {
      expect(() => new PipelineService(stack, 'Ingestor', { ...base(cluster), ...change })).toThrow(message);
    }
    // Validation ran before the construct was added: the id is still free.
    expect(stack.node.tryFindChild('Ingestor')).toBeUndefined();
  });

  it('asks DataStack only for variables it has', () => {
    expect(() => prod.stacks.data.runtimeEnvironment([BINANCE_WS_URL])).toThrow(
      /DataStack: no runtime variable BINANCE_WS_URL; it provides PIPELINE_ENV, SYMBOLS/,
    );
    expect(prod.stacks.data.runtimeEnvironment([SYMBOLS])).toEqual({ [SYMBOLS]: 'BTCUSDT' });
  });
});
