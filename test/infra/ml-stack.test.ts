import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  AWS_REGION,
  BRONZE_BUCKET,
  DB_CLUSTER_ARN,
  DB_NAME,
  DB_SECRET_ARN,
  HTTP_PORT,
  MODELS_BUCKET,
  PIPELINE_ENV,
  POWERTOOLS_LOG_LEVEL,
  POWERTOOLS_METRICS_NAMESPACE,
  POWERTOOLS_SERVICE_NAME,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  SYMBOLS,
  TRAINER_DATA,
} from '../../core/config/environment-names.ts';
import { SAGEMAKER_TRAINING_INSTANCE } from '../../lib/constructs/trainer-job.ts';
import {
  INFERENCE_BUILD_CONTEXT,
  INFERENCE_DOCKERFILE,
  TRAINER_BUILD_CONTEXT,
  TRAINER_DOCKERFILE,
} from '../../lib/stacks/ml-stack.ts';
import { exportedResource, logicalIds, type SynthesizedPipeline, synthPipeline } from './helpers.ts';

// One synthesis per case for the whole file (each also proves the app is cdk-nag clean), the
// SageMaker option included.
const dev = synthPipeline('dev');
const staging = synthPipeline('staging');
const prod = synthPipeline('prod');
const all = [dev, staging, prod];
const withSageMaker = synthPipeline('prod', {
  configure: (c) => ({ ...c, ml: { ...c.ml, sagemaker: true } }),
});

type Json = Record<string, unknown>;
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** The one resource of a type, the history replay array job's aside (test/infra/replay-array-job.test.ts). */
function onlyResource(template: Template, type: string): { logicalId: string; properties: Json } {
  const resources = template.findResources(type);
  const ids = Object.keys(resources).filter((id) => !id.startsWith('HistoryReplay'));
  expect(ids, type).toHaveLength(1);
  const logicalId = ids[0] as string;
  return { logicalId, properties: (resources[logicalId] as { Properties: Json }).Properties };
}

const getAtt = (value: unknown) => (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

/** The statements of the policies attached to a role. */
function statementsOf(template: Template, roleId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** A role's grants, each as sorted actions on a readable target (Data stack resource, prefix). */
function grantsOf(p: SynthesizedPipeline, template: Template, roleId: string) {
  const role = template.toJSON().Resources[roleId].Properties as Json;
  expect(role.ManagedPolicyArns).toBeUndefined();
  expect(role.Policies).toBeUndefined();
  return statementsOf(template, roleId).map((s) => {
    expect(s.Effect).toBe('Allow');
    return { actions: [s.Action].flat().sort(), on: describeResources(p, s.Resource) };
  });
}

/** `Data:<logical id prefix>[/<key prefix>]` for Data stack resources, else the JSON. */
function describeResources(p: SynthesizedPipeline, resource: unknown): string[] {
  return [resource].flat().map((r) => {
    const json = r as Json;
    if (json['Fn::ImportValue']) return `Data:${logicalPrefix(exportedResource(p.data, r).logicalId)}`;
    const join = json['Fn::Join'] as [string, unknown[]] | undefined;
    const first = join?.[1][0] as Json | undefined;
    if (join && first?.['Fn::ImportValue'] && join[1].length === 2) {
      return `Data:${logicalPrefix(exportedResource(p.data, first).logicalId)}${String(join[1][1])}`;
    }
    if (join && JSON.stringify(join).includes(':rds:')) {
      const cluster = join[1][join[1].length - 1];
      return `Data:${logicalPrefix(exportedResource(p.data, cluster).logicalId)} (cluster ARN)`;
    }
    return JSON.stringify(r);
  });
}

/** `LakeModels0AE35E72` → `LakeModels`. */
const logicalPrefix = (id: string) => id.replace(/[0-9A-F]{8}$/, '');

const MODELS_READ = ['s3:GetBucket*', 's3:GetObject*', 's3:List*'];
const PUT = [
  's3:Abort*',
  's3:PutObject',
  's3:PutObjectLegalHold',
  's3:PutObjectRetention',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
];
const DATA_API = [
  'rds-data:BatchExecuteStatement',
  'rds-data:BeginTransaction',
  'rds-data:CommitTransaction',
  'rds-data:ExecuteStatement',
  'rds-data:RollbackTransaction',
];
const SECRET_READ = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];

/** The trainer's grants, the same for the Batch job role and the SageMaker role. */
const TRAINER_GRANTS = [
  { actions: MODELS_READ, on: ['Data:LakeModels', 'Data:LakeModels/models/*'] },
  { actions: PUT, on: ['Data:LakeModels/models/*'] },
  // A cold start replays bronze: served vectors, then market data and the snapshots it anchors on.
  ...['features/served', 'stream/depth', 'stream/trade', 'rest/depth'].map((prefix) => ({
    actions: MODELS_READ,
    on: ['Data:LakeBronze', `Data:LakeBronze/bronze/${prefix}/*`],
  })),
  { actions: DATA_API, on: ['Data:WarehouseCluster (cluster ARN)'] },
  { actions: SECRET_READ, on: ['Data:WarehouseClusterSecretAttachment'] },
];

const jobDefinition = (p: SynthesizedPipeline) =>
  onlyResource(p.ml, 'AWS::Batch::JobDefinition').properties as {
    ContainerProperties: Json & { Environment: { Name: string; Value: unknown }[] };
  } & Json;

function taskContainer(template: Template): Json {
  const { properties } = onlyResource(template, 'AWS::ECS::TaskDefinition');
  const containers = properties.ContainerDefinitions as Json[];
  expect(containers).toHaveLength(1);
  return containers[0] as Json;
}

const envOf = (entries: unknown) =>
  Object.fromEntries((entries as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));

const alarmsOf = (template: Template) =>
  Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, a]) => ({
    id,
    ...(a.Properties as Json),
  }));

/** The Docker image assets of the ML stack, from its asset manifest. */
function imageAssets(p: SynthesizedPipeline) {
  const manifest = JSON.parse(
    fs.readFileSync(path.join(p.app.outdir, `${p.stacks.ml.artifactId}.assets.json`), 'utf8'),
  ) as {
    dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
  };
  return Object.values(manifest.dockerImages).map((image) => image.source);
}

describe('MlStack: the trainer on AWS Batch (Fargate)', () => {
  it('runs an on-demand Fargate compute environment in the compute subnets, room for one job', () => {
    for (const p of all) {
      const { properties } = onlyResource(p.ml, 'AWS::Batch::ComputeEnvironment');
      expect(properties).toMatchObject({
        Type: 'managed',
        State: 'ENABLED',
        ComputeResources: {
          Type: 'FARGATE',
          MaxvCpus: Math.ceil(p.config.ml.trainer.cpu / 1024),
          SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/^TrainerSecurityGroup/), 'GroupId'] }],
        },
      });
      // Batch's service-linked role: no service role to scope.
      expect(properties.ServiceRole).toBeUndefined();
      const subnets = (properties.ComputeResources as { Subnets: { 'Fn::ImportValue': string }[] }).Subnets;
      expect(subnets).toHaveLength(2);
      for (const subnet of subnets) expect(subnet['Fn::ImportValue']).toMatch(/VpcComputeSubnet\d/);
    }
  });

  it('lets trainer jobs out on HTTPS only, and nothing in', () => {
    for (const { ml } of all) {
      const groups = ml.findResources('AWS::EC2::SecurityGroup');
      expect(Object.keys(groups)).toEqual([expect.stringMatching(/^TrainerSecurityGroup/)]);
      const group = Object.values(groups)[0]?.Properties as Json;
      expect(group.SecurityGroupIngress).toBeUndefined();
      expect(group.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ]);
      expect(logicalIds(ml, 'AWS::EC2::SecurityGroupIngress')).toEqual([]);
    }
  });

  it('queues jobs on that compute environment and cancels one that can never be placed', () => {
    for (const { ml } of all) {
      const ce = onlyResource(ml, 'AWS::Batch::ComputeEnvironment').logicalId;
      ml.hasResourceProperties('AWS::Batch::JobQueue', {
        State: 'ENABLED',
        ComputeEnvironmentOrder: [
          { ComputeEnvironment: { 'Fn::GetAtt': [ce, 'ComputeEnvironmentArn'] }, Order: 1 },
        ],
        JobStateTimeLimitActions: [
          {
            Action: 'CANCEL',
            MaxTimeSeconds: 1800,
            Reason: 'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE',
            State: 'RUNNABLE',
          },
          {
            Action: 'CANCEL',
            MaxTimeSeconds: 1800,
            Reason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT',
            State: 'RUNNABLE',
          },
        ],
      });
    }
  });

  it('sizes, times out and retries the job per environment, on ARM64', () => {
    for (const p of all) {
      const t = p.config.ml.trainer;
      p.ml.hasResourceProperties('AWS::Batch::JobDefinition', {
        Type: 'container',
        PlatformCapabilities: ['FARGATE'],
        Timeout: { AttemptDurationSeconds: t.timeout.toSeconds() },
        RetryStrategy: { Attempts: t.attempts },
        PropagateTags: true,
        ContainerProperties: Match.objectLike({
          RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
          ResourceRequirements: Match.arrayWith([
            { Type: 'MEMORY', Value: String(t.memoryMiB) },
            { Type: 'VCPU', Value: String(t.cpu / 1024) },
          ]),
          NetworkConfiguration: { AssignPublicIp: 'DISABLED' },
          ReadonlyRootFilesystem: true,
        }),
      });
    }
    const sizes = all.map((p) => {
      const c = jobDefinition(p);
      return [
        (c.Timeout as Json).AttemptDurationSeconds,
        (c.RetryStrategy as Json).Attempts,
        c.ContainerProperties.ResourceRequirements,
      ];
    });
    expect(sizes).toEqual([
      [1800, 2, expect.arrayContaining([{ Type: 'MEMORY', Value: '2048' }])],
      [7200, 2, expect.arrayContaining([{ Type: 'MEMORY', Value: '4096' }])],
      [7200, 3, expect.arrayContaining([{ Type: 'MEMORY', Value: '4096' }])],
    ]);
  });

  it('passes exactly the variables the trainer reads: the models bucket, the warehouse and bronze', () => {
    for (const p of [dev, prod]) {
      const env = envOf(jobDefinition(p).ContainerProperties.Environment);
      expect(Object.keys(env).sort()).toEqual(
        [
          POWERTOOLS_SERVICE_NAME,
          POWERTOOLS_LOG_LEVEL,
          PIPELINE_ENV,
          AWS_REGION,
          MODELS_BUCKET,
          DB_CLUSTER_ARN,
          DB_SECRET_ARN,
          DB_NAME,
          BRONZE_BUCKET,
        ].sort(),
      );
      expect(env).toMatchObject({
        [POWERTOOLS_SERVICE_NAME]: 'trainer',
        [POWERTOOLS_LOG_LEVEL]: p.config.logLevel,
        [PIPELINE_ENV]: p.config.name,
        [AWS_REGION]: 'ap-northeast-1',
        [DB_NAME]: 'market',
      });
      // No TRAINER_DATA: the trainer falls back to the warehouse through the Data API.
      expect(env[TRAINER_DATA]).toBeUndefined();
      expect(exportedResource(p.data, env[MODELS_BUCKET]).logicalId).toMatch(/^LakeModels/);
      expect(exportedResource(p.data, env[BRONZE_BUCKET]).logicalId).toMatch(/^LakeBronze/);
      expect(exportedResource(p.data, env[DB_SECRET_ARN]).type).toBe(
        'AWS::SecretsManager::SecretTargetAttachment',
      );
    }
  });

  it('writes its logs to its own log group with the environment retention', () => {
    const days = all.map(
      ({ ml }) =>
        Object.entries(ml.findResources('AWS::Logs::LogGroup')).find(([id]) =>
          id.startsWith('TrainerLogGroup'),
        )?.[1].Properties.RetentionInDays,
    );
    expect(days).toEqual([7, 14, 30]);
    expect(jobDefinition(prod).ContainerProperties.LogConfiguration).toMatchObject({
      LogDriver: 'awslogs',
      Options: {
        'awslogs-group': { Ref: expect.stringMatching(/^TrainerLogGroup/) },
        'awslogs-stream-prefix': 'trainer',
      },
    });
  });
});

describe('MlStack: least privilege', () => {
  it('lets the job role read and put models/*, read what a cold start replays, use the Data API, nothing else', () => {
    for (const p of [dev, prod]) {
      const roleId = getAtt(jobDefinition(p).ContainerProperties.JobRoleArn);
      expect(roleId).toMatch(/^TrainerJobRole/);
      p.ml.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } })],
        },
      });
      expect(grantsOf(p, p.ml, roleId)).toEqual(TRAINER_GRANTS);
    }
  });

  it('lets the inference task role read the Redis token and models/current/*, and put served vectors only', () => {
    for (const p of [dev, prod]) {
      const roleId = getAtt(onlyResource(p.ml, 'AWS::ECS::TaskDefinition').properties.TaskRoleArn);
      expect(grantsOf(p, p.ml, roleId)).toEqual([
        { actions: SECRET_READ, on: ['Data:HotStateAuthToken'] },
        { actions: MODELS_READ, on: ['Data:LakeModels', 'Data:LakeModels/models/current/*'] },
        { actions: PUT, on: ['Data:LakeBronze/bronze/features/served/*'] },
      ]);
    }
  });

  it('grants nothing on a wildcard resource but the ECR token, and never deletes', () => {
    for (const p of [...all, withSageMaker]) {
      const statements = Object.values(p.ml.findResources('AWS::IAM::Policy')).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
      );
      const wildcards = statements.filter((s) => JSON.stringify(s.Resource) === '"*"').map((s) => s.Action);
      expect(new Set(wildcards)).toEqual(new Set(['ecr:GetAuthorizationToken']));
      expect(JSON.stringify(statements)).not.toMatch(/Delete/);
    }
  });
});

describe('MlStack: the daily schedule', () => {
  it('submits the job once a day, with its queue and definition, from a role allowed exactly that', () => {
    for (const p of all) {
      const queue = onlyResource(p.ml, 'AWS::Batch::JobQueue').logicalId;
      const definition = onlyResource(p.ml, 'AWS::Batch::JobDefinition').logicalId;
      p.ml.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'cron(30 0 * * ? *)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [queue, 'JobQueueArn'] },
            BatchParameters: {
              JobDefinition: { Ref: definition },
              JobName: `${p.config.prefix}-trainer-daily`,
            },
            RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          }),
        ],
      });
      const rule = Object.values(p.ml.findResources('AWS::Events::Rule')).find(
        (r) => r.Properties.ScheduleExpression === 'cron(30 0 * * ? *)',
      );
      const roleId = getAtt(rule?.Properties.Targets[0].RoleArn);
      expect(statementsOf(p.ml, roleId)).toEqual([
        {
          Effect: 'Allow',
          Action: 'batch:SubmitJob',
          Resource: [{ Ref: definition }, { 'Fn::GetAtt': [queue, 'JobQueueArn'] }],
        },
      ]);
    }
  });
});

describe('MlStack: the inference service', () => {
  it('runs one ARM64 task per environment in the compute subnets, in the group Redis admits', () => {
    for (const p of all) {
      p.ml.hasResourceProperties('AWS::ECS::TaskDefinition', {
        RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
        Cpu: String(p.config.ml.inference.cpu),
        Memory: String(p.config.ml.inference.memoryMiB),
      });
      const { properties } = onlyResource(p.ml, 'AWS::ECS::Service');
      // One task: a second would write the same predictions and served vectors twice.
      expect(properties.DesiredCount).toBe(1);
      expect(properties.LoadBalancers).toBeUndefined();
      const vpc = (properties.NetworkConfiguration as Json).AwsvpcConfiguration as {
        AssignPublicIp: string;
        Subnets: { 'Fn::ImportValue': string }[];
        SecurityGroups: { 'Fn::ImportValue': string }[];
      };
      expect(vpc.AssignPublicIp).toBe('DISABLED');
      for (const subnet of vpc.Subnets) expect(subnet['Fn::ImportValue']).toMatch(/VpcComputeSubnet\d/);
      expect(vpc.SecurityGroups).toHaveLength(1);
      expect(exportedResource(p.network, vpc.SecurityGroups[0]).logicalId).toMatch(/^ComputeSecurityGroup/);
      p.data.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        FromPort: 6379,
        SourceSecurityGroupId: { 'Fn::ImportValue': vpc.SecurityGroups[0]?.['Fn::ImportValue'] },
      });
    }
    expect(all.map((p) => onlyResource(p.ml, 'AWS::ECS::TaskDefinition').properties.Cpu)).toEqual([
      '256',
      '256',
      '512',
    ]);
  });

  it('passes exactly the variables inference reads and checks /health on 8080', () => {
    for (const p of [dev, prod]) {
      const c = taskContainer(p.ml);
      const env = envOf(c.Environment);
      expect(Object.keys(env).sort()).toEqual(
        [
          POWERTOOLS_SERVICE_NAME,
          POWERTOOLS_METRICS_NAMESPACE,
          POWERTOOLS_LOG_LEVEL,
          PIPELINE_ENV,
          AWS_REGION,
          HTTP_PORT,
          SYMBOLS,
          REDIS_URL,
          REDIS_AUTH_SECRET_ARN,
          MODELS_BUCKET,
          BRONZE_BUCKET,
        ].sort(),
      );
      expect(env).toMatchObject({
        [POWERTOOLS_SERVICE_NAME]: 'inference',
        [HTTP_PORT]: '8080',
        [SYMBOLS]: 'BTCUSDT',
      });
      expect(exportedResource(p.data, env[BRONZE_BUCKET]).logicalId).toMatch(/^LakeBronze/);
      expect(exportedResource(p.data, env[REDIS_AUTH_SECRET_ARN]).logicalId).toMatch(/^HotStateAuthToken/);
      expect(c.HealthCheck).toMatchObject({
        Command: [
          'CMD',
          'node',
          '-e',
          "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
        ],
      });
      expect(c.ReadonlyRootFilesystem).toBe(true);
    }
    prod.ml.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'btcusdt-prod-ml',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });
});

describe('MlStack: the container images', () => {
  it('builds the trainer and inference for linux/arm64, and the trainer for x86_64 only with SageMaker', () => {
    expect(
      imageAssets(prod)
        .map((s) => [s.dockerFile, s.platform])
        .sort(),
    ).toEqual([
      [INFERENCE_DOCKERFILE, 'linux/arm64'],
      [TRAINER_DOCKERFILE, 'linux/arm64'],
    ]);
    expect(
      imageAssets(withSageMaker)
        .map((s) => [s.dockerFile, s.platform])
        .sort(),
    ).toEqual([
      [INFERENCE_DOCKERFILE, 'linux/arm64'],
      [TRAINER_DOCKERFILE, 'linux/amd64'],
      [TRAINER_DOCKERFILE, 'linux/arm64'],
    ]);
  });

  it('has build contexts holding every path each Dockerfile copies, and nothing else', () => {
    for (const [dockerfile, allowed] of [
      [TRAINER_DOCKERFILE, TRAINER_BUILD_CONTEXT],
      [INFERENCE_DOCKERFILE, INFERENCE_BUILD_CONTEXT],
    ] as const) {
      const sources = fs
        .readFileSync(dockerfile, 'utf8')
        .split('\n')
        .filter((line) => /^COPY\s/.test(line) && !line.includes('--from='))
        .flatMap((line) => line.trim().split(/\s+/).slice(1, -1))
        .map((source) => source.replace(/\/$/, ''));
      expect(sources.length).toBeGreaterThan(0);
      expect([...new Set(sources)].sort()).toEqual([...allowed].sort());
      const image = imageAssets(prod).find((s) => s.dockerFile === dockerfile);
      const context = path.join(prod.app.outdir, image?.directory ?? 'missing');
      for (const source of sources) expect(fs.existsSync(path.join(context, source)), source).toBe(true);
      expect(fs.readdirSync(context).sort()).toEqual(
        [...new Set(allowed.map((p) => p.split('/')[0]))].sort(),
      );
    }
  });
});

describe('MlStack: the SageMaker option', () => {
  const sagemakerRoles = (template: Template) =>
    Object.entries(template.findResources('AWS::IAM::Role'))
      .filter(([, r]) =>
        JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('sagemaker.amazonaws.com'),
      )
      .map(([id]) => id);

  it('is off by default: no role, no x86 image, no outputs', () => {
    for (const p of all) {
      expect(p.config.ml.sagemaker).toBe(false);
      expect(sagemakerRoles(p.ml)).toEqual([]);
      expect(Object.keys(p.ml.toJSON().Outputs ?? {}).filter((k) => k.startsWith('SageMaker'))).toEqual([]);
    }
  });

  it('gives SageMaker a role with the trainer access plus its image and its logs, nothing else', () => {
    const [roleId] = sagemakerRoles(withSageMaker.ml);
    expect(roleId).toMatch(/^SageMakerTrainingRole/);
    const grants = grantsOf(withSageMaker, withSageMaker.ml, roleId as string);
    expect(grants.slice(0, TRAINER_GRANTS.length)).toEqual(TRAINER_GRANTS);
    const own = grants.slice(TRAINER_GRANTS.length);
    expect(own.map((g) => g.actions)).toEqual([
      ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      ['ecr:GetAuthorizationToken'],
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      ['logs:CreateLogGroup', 'logs:DescribeLogStreams'],
    ]);
    expect(JSON.stringify(own)).toContain('cdk-hnb659fds-container-assets');
    for (const g of own.slice(2)) {
      for (const on of g.on) expect(on).toMatch(/log-group:\/aws\/sagemaker\/TrainingJobs/);
    }
  });

  it('prints the create-training-job input built from the stack: role, x86 image, sizes, output, variables', () => {
    const outputs = withSageMaker.ml.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual([
      'SageMakerTrainingImageUri',
      'SageMakerTrainingJobInput',
      'SageMakerTrainingRoleArn',
      'TrainerJobDefinitionArn',
      'TrainerJobQueueArn',
    ]);
    // The JSON with each token replaced by a placeholder, so its shape can be parsed and checked.
    const input = outputs.SageMakerTrainingJobInput as { Value: { 'Fn::Join': [string, unknown[]] } };
    const [, parts] = input.Value['Fn::Join'];
    const json = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('')) as Json;
    expect(json).toEqual({
      RoleArn: 'TOKEN',
      AlgorithmSpecification: { TrainingImage: 'TOKEN', TrainingInputMode: 'File' },
      ResourceConfig: { InstanceType: SAGEMAKER_TRAINING_INSTANCE, InstanceCount: 1, VolumeSizeInGB: 5 },
      StoppingCondition: { MaxRuntimeInSeconds: withSageMaker.config.ml.trainer.timeout.toSeconds() },
      OutputDataConfig: { S3OutputPath: 's3://TOKEN/models/sagemaker/' },
      Environment: expect.objectContaining({
        [MODELS_BUCKET]: 'TOKEN',
        [DB_NAME]: 'market',
        [DB_CLUSTER_ARN]: expect.any(String),
      }),
    });
    const images = imageAssets(withSageMaker);
    expect(JSON.stringify(parts)).toContain(
      JSON.stringify(outputs.SageMakerTrainingImageUri?.Value).slice(1, -1),
    );
    expect(images.some((s) => s.platform === 'linux/amd64')).toBe(true);
  });
});

describe('MlStack: alarms and dashboard', () => {
  it('pages on a failed training job, through a rule on Batch FAILED events of its queue', () => {
    for (const p of all) {
      const queue = onlyResource(p.ml, 'AWS::Batch::JobQueue').logicalId;
      const [ruleId, rule] = Object.entries(p.ml.findResources('AWS::Events::Rule')).find(
        ([, r]) => r.Properties.EventPattern,
      ) as [string, { Properties: Json }];
      expect(rule.Properties.EventPattern).toEqual({
        source: ['aws.batch'],
        'detail-type': ['Batch Job State Change'],
        detail: { status: ['FAILED'], jobQueue: [{ 'Fn::GetAtt': [queue, 'JobQueueArn'] }] },
      });
      // The failed-job events are kept in an encrypted queue for the investigation.
      const queueId = onlyResource(p.ml, 'AWS::SQS::Queue').logicalId;
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } }),
      ]);
      p.ml.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
      const failed = alarmsOf(p.ml).find((a) => a.id.startsWith('ObservabilityTrainingFailed'));
      expect(failed).toMatchObject({
        Namespace: 'AWS/Events',
        MetricName: 'TriggeredRules',
        Dimensions: [{ Name: 'RuleName', Value: { Ref: ruleId } }],
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ 'Fn::ImportValue': expect.stringMatching(/Observability:.*AlarmTopic/) }],
        OKActions: [{ 'Fn::ImportValue': expect.stringMatching(/Observability:.*AlarmTopic/) }],
      });
    }
  });

  it('pages when EventBridge cannot submit the daily job', () => {
    const [scheduleId] = Object.entries(prod.ml.findResources('AWS::Events::Rule')).find(
      ([, r]) => r.Properties.ScheduleExpression === 'cron(30 0 * * ? *)',
    ) as [string, unknown];
    expect(alarmsOf(prod.ml).find((a) => a.id.startsWith('ObservabilityTrainingSubmitFailed'))).toMatchObject(
      {
        MetricName: 'FailedInvocations',
        Dimensions: [{ Name: 'RuleName', Value: { Ref: scheduleId } }],
        Threshold: 0,
      },
    );
  });

  it('alarms on a slow tick and on too few served predictions, from the EMF the inference task publishes', () => {
    for (const p of all) {
      const alarms = alarmsOf(p.ml);
      const service = [{ Name: 'service', Value: 'inference' }];
      expect(alarms.find((a) => a.id.startsWith('ObservabilityInferenceLatency'))).toMatchObject({
        MetricName: 'InferenceLatencyP99',
        Dimensions: service,
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 5,
        Threshold: p.config.alarms.inferenceLatencyP99Ms,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      // 150 ticks per symbol in 5 minutes: below half, twice, or nothing published at all.
      expect(alarms.find((a) => a.id.startsWith('ObservabilityInferenceTooFewPredictions'))).toMatchObject({
        MetricName: 'Predictions',
        Dimensions: expect.arrayContaining([...service, { Name: 'flag', Value: 'served' }]),
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 2,
        Threshold: 75 * p.config.symbols.length,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
    }
    const body = JSON.stringify(prod.ml.findResources('AWS::CloudWatch::Dashboard'));
    for (const title of [
      'inference: predictions per minute',
      'inference: tick latency p99',
      'inference: rolling score',
    ])
      expect(body).toContain(title);
  });

  it('alarms when the inference task is not running for five minutes, and graphs its CPU and memory', () => {
    for (const p of all) {
      p.ml.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'ECS/ContainerInsights',
        MetricName: 'RunningTaskCount',
        EvaluationPeriods: 5,
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        TreatMissingData: 'breaching',
      });
      expect(alarmsOf(p.ml)).toHaveLength(5);
    }
    prod.ml.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'btcusdt-prod-ml' });
    const body = JSON.stringify(prod.ml.findResources('AWS::CloudWatch::Dashboard'));
    for (const title of [
      'inference: CPU %',
      'inference: memory %',
      'inference: tasks',
      'trainer: daily submissions and failed jobs',
    ]) {
      expect(body).toContain(title);
    }
  });
});
