/**
 * The model side of the pipeline: the trainer (containers/trainer) as a daily AWS Batch job on
 * Fargate, optionally runnable as a SageMaker training job, and the inference service
 * (containers/inference) as a Fargate service next to Redis.
 *
 * - **Trainer**: an ARM64 Fargate compute environment in the compute subnets (its own security group:
 *   no ingress, HTTPS out only), a job queue, a job definition sized by `config.ml.trainer`, and an
 *   EventBridge rule submitting one job a day. The job role reads and puts `models/*` on the models
 *   bucket and calls the Data API on the warehouse, nothing else. A failed job pages (a rule on Batch's
 *   FAILED events, alarmed through its TriggeredRules metric), as does a submission EventBridge could
 *   not make.
 * - **SageMaker** (`config.ml.sagemaker`): an execution role with the job role's access plus its image
 *   and logs, an x86_64 image of the same Dockerfile, and the outputs `aws sagemaker
 *   create-training-job` needs (lib/README.md). CfnTrainingJob is a one-shot run, not a resource to
 *   keep in a stack, so nothing starts a training job at deploy time.
 * - **Inference**: a `PipelineService` with `computeSecurityGroup` (admitted to Redis); its task role
 *   reads the Redis token and `models/current/*`, and puts `bronze/features/served/*` only.
 */
import { CfnOutput, Duration, Size, Stack, type StackProps, Token, Validations } from 'aws-cdk-lib';
import {
  EcsFargateContainerDefinition,
  EcsJobDefinition,
  FargateComputeEnvironment,
  JobQueue,
  JobStateTimeLimitActionsReason,
} from 'aws-cdk-lib/aws-batch';
import { Alarm, ComparisonOperator, GraphWidget, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { type ISecurityGroup, type IVpc, Peer, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  LogDrivers,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { BatchJob, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  AWS_REGION,
  BRONZE_BUCKET,
  DB_CLUSTER_ARN,
  DB_NAME,
  DB_SECRET_ARN,
  MODELS_BUCKET,
  PIPELINE_ENV,
  POWERTOOLS_LOG_LEVEL,
  POWERTOOLS_SERVICE_NAME,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import type { EnvironmentConfig } from '../config/environment-config.ts';
import { Observability, powertoolsMetric } from '../constructs/observability.ts';
import { PROJECT_ROOT } from '../constructs/pipeline-function.ts';
import {
  PipelineService,
  repositoryImageOptions,
  validateRepositoryImage,
} from '../constructs/pipeline-service.ts';
import { ReplayArrayJob } from '../constructs/replay-array-job.ts';
import type { DataStack } from './data-stack.ts';
import { SUBNETS } from './network-stack.ts';

/** The trainer's Dockerfile, relative to the repository root (the build context). */
export const TRAINER_DOCKERFILE = 'containers/trainer/Dockerfile';
/** What that Dockerfile COPYs (a test checks it against the COPY lines). */
export const TRAINER_BUILD_CONTEXT = [
  'package.json',
  'package-lock.json',
  'core',
  'lambdas/shared',
  'native',
  'containers/build.sh',
  'containers/trainer',
] as const;

/** The inference service's Dockerfile and build context, as for the trainer. */
export const INFERENCE_DOCKERFILE = 'containers/inference/Dockerfile';
export const INFERENCE_BUILD_CONTEXT = [
  'package.json',
  'package-lock.json',
  'core',
  'lambdas/shared',
  'containers/build.sh',
  'containers/inference',
] as const;

/**
 * Key prefixes (core/model/artifact.ts, core/bronze/bronze-keys.ts): the trainer writes
 * `models/<version>/` and copies a winner to `models/current/`; inference reads `models/current/`
 * only and logs what it served under `bronze/features/served/`.
 */
export const ML_PREFIXES = {
  models: 'models/*',
  currentModel: 'models/current/*',
  servedVectors: 'bronze/features/served/*',
  /** What the trainer replays on a cold start (too few served vectors): market data and snapshots. */
  marketData: ['bronze/stream/depth/*', 'bronze/stream/trade/*', 'bronze/rest/depth/*'],
} as const;

/**
 * Daily at 00:30 UTC. Binance's days are UTC; by then the data connector (every 5 minutes) has loaded
 * the previous day's last served vectors into the warehouse.
 */
export const TRAINING_SCHEDULE = Schedule.cron({ minute: '30', hour: '0' });
/** The history replay array job (one child per day) runs before training, which reads its rows. */
export const REPLAY_SCHEDULE = Schedule.cron({ minute: '5', hour: '0' });
/** Days the daily replay covers (the trainer takes the last 7 days of rows: data-sources.ts). */
export const REPLAY_DAYS_DEFAULT = 7;

/**
 * The SageMaker training instance the printed `create-training-job` input names. x86_64: SageMaker
 * training offers no Graviton instances. Two vCPUs and 8 GiB, as much as the Batch job's memory.
 */
export const SAGEMAKER_TRAINING_INSTANCE = 'ml.m5.large';
/** Where SageMaker uploads `/opt/ml/model` (model.tar.gz): under the prefix both roles may put. */
export const SAGEMAKER_OUTPUT_PREFIX = 'models/sagemaker/';
/** The account-wide log group SageMaker training jobs write to. */
export const SAGEMAKER_TRAINING_LOG_GROUP = '/aws/sagemaker/TrainingJobs';

/**
 * The Data stack's variables the trainer reads (TRAINER_DATA stays unset: it reads the warehouse, and
 * replays bronze when the warehouse holds too few served vectors).
 */
const TRAINER_DATA_VARIABLES = [
  MODELS_BUCKET,
  DB_CLUSTER_ARN,
  DB_SECRET_ARN,
  DB_NAME,
  BRONZE_BUCKET,
] as const;
/** The Data stack's variables the inference service reads. */
const INFERENCE_DATA_VARIABLES = [
  SYMBOLS,
  REDIS_URL,
  REDIS_AUTH_SECRET_ARN,
  MODELS_BUCKET,
  BRONZE_BUCKET,
] as const;

/** A job that cannot ever be placed (sizes beyond the compute environment) is cancelled, so it fails and pages. */
const UNPLACEABLE_JOB_CANCEL_AFTER = Duration.minutes(30);
/** EventBridge's own retries of a SubmitJob call that failed (throttling, a transient Batch error). */
const SUBMIT_RETRY_ATTEMPTS = 3;
/** How long the failed-job events are kept for whoever investigates (SQS's maximum). */
const FAILED_JOB_EVENTS_RETENTION = Duration.days(14);

/** What a role may do under each prefix of a bucket: read (get, list) and/or put; nothing deletes. */
interface PrefixAccess {
  readonly read: readonly string[];
  readonly put: readonly string[];
}

export interface MlStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly vpc: IVpc;
  /** The group the Data stack lets into Redis (NetworkStack.computeSecurityGroup), for inference. */
  readonly computeSecurityGroup: ISecurityGroup;
  /** The models and bronze buckets, Redis, the warehouse, and their runtime variables. */
  readonly data: DataStack;
  /** Where the ML alarms go (the Observability stack's topic). */
  readonly alarmTopic: ITopic;
}

export class MlStack extends Stack {
  /** No ingress, egress HTTPS only: S3, the Data API, ECR and Logs are all HTTPS. */
  public readonly trainerSecurityGroup: SecurityGroup;
  public readonly computeEnvironment: FargateComputeEnvironment;
  public readonly jobQueue: JobQueue;
  public readonly jobDefinition: EcsJobDefinition;
  /** The role the training code runs with (Batch). */
  public readonly jobRole: Role;
  /** The daily submission. */
  public readonly trainingSchedule: Rule;
  /** Batch job state FAILED on this queue. */
  public readonly failedJobs: Rule;
  /** The history replay array job (one child per day into the warehouse). */
  public historyReplay!: ReplayArrayJob;
  /** Present only with `config.ml.sagemaker`. */
  public readonly sagemakerRole: Role | undefined;
  public readonly cluster: Cluster;
  public readonly inference: PipelineService;
  public readonly observability: Observability;
  private readonly props: MlStackProps;

  public constructor(scope: Construct, id: string, props: MlStackProps) {
    validateRepositoryImage(failFor(id), TRAINER_DOCKERFILE, TRAINER_BUILD_CONTEXT);
    super(scope, id, props);
    this.props = props;
    const { config } = props;

    this.observability = new Observability(this, 'Observability', {
      alarmTopic: props.alarmTopic,
      dashboardName: `${config.prefix}-ml`,
      thresholds: config.alarms,
      description: `# ${config.prefix} ML\\nDaily training (AWS Batch) and the inference service. Predictions served and flagged, tick latency p99, RMSE vs random walk and hit rate: the inference task's Prometheus metrics, published as EMF once a minute.`,
    });

    this.trainerSecurityGroup = new SecurityGroup(this, 'TrainerSecurityGroup', {
      vpc: props.vpc,
      description: 'Trainer jobs: no ingress; egress HTTPS only (S3, the RDS Data API, ECR, Logs).',
      allowAllOutbound: false,
    });
    this.trainerSecurityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'AWS APIs over HTTPS');

    this.jobRole = new Role(this, 'TrainerJobRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Trainer (Batch): models/* read and put, the warehouse through the Data API.',
    });
    this.grantTrainerAccess(this.jobRole);

    ({
      computeEnvironment: this.computeEnvironment,
      jobQueue: this.jobQueue,
      jobDefinition: this.jobDefinition,
    } = this.buildBatch());
    ({ schedule: this.trainingSchedule, failed: this.failedJobs } = this.scheduleAndWatchTraining());
    this.sagemakerRole = config.ml.sagemaker ? this.buildSageMakerOption() : undefined;

    this.cluster = new Cluster(this, 'Cluster', {
      vpc: props.vpc,
      clusterName: `${config.prefix}-ml`,
      // Running/desired task counts for the running-tasks alarm exist only with Container Insights.
      containerInsightsV2: ContainerInsights.ENABLED,
    });
    this.inference = this.buildInference();
  }

  /** The trainer's access, shared by the Batch job role and the SageMaker execution role. */
  private grantTrainerAccess(role: Role): void {
    const { data } = this.props;
    this.grantPrefixes(role, data.lake.models, 'models', {
      read: [ML_PREFIXES.models],
      put: [ML_PREFIXES.models],
    });
    this.grantPrefixes(role, data.lake.bronze, 'bronze', {
      read: [ML_PREFIXES.servedVectors, ...ML_PREFIXES.marketData],
      put: [],
    });
    data.warehouse.grantDataApiAccess(role);
  }

  /** Variables of the trainer's container, on Batch and on SageMaker alike. */
  private trainerEnvironment(): Record<string, string> {
    const { config, data } = this.props;
    return {
      [POWERTOOLS_SERVICE_NAME]: 'trainer',
      [POWERTOOLS_LOG_LEVEL]: config.logLevel,
      [PIPELINE_ENV]: config.name,
      // The trainer falls back to ap-northeast-1 without it; explicit, so another region works.
      [AWS_REGION]: this.region,
      ...data.runtimeEnvironment(TRAINER_DATA_VARIABLES),
    };
  }

  private buildBatch(): {
    computeEnvironment: FargateComputeEnvironment;
    jobQueue: JobQueue;
    jobDefinition: EcsJobDefinition;
  } {
    const { config } = this.props;
    const size = config.ml.trainer;
    const vcpus = size.cpu / 1024;

    const computeEnvironment = new FargateComputeEnvironment(this, 'TrainerComputeEnvironment', {
      vpc: this.props.vpc,
      vpcSubnets: { subnetGroupName: SUBNETS.compute },
      securityGroups: [this.trainerSecurityGroup],
      // Room for one job: a second (an on-demand run beside the scheduled one) waits in the queue,
      // so two runs never race to promote `models/current`.
      maxvCpus: Math.max(1, Math.ceil(vcpus)),
      // On-demand Fargate: Fargate Spot does not run ARM64 jobs, and a reclaimed run costs more
      // than the daily hour of Spot discount it would save.
      spot: false,
    });

    const jobQueue = new JobQueue(this, 'TrainerQueue', {
      computeEnvironments: [{ computeEnvironment, order: 1 }],
      priority: 1,
      // A job no compute environment can ever place would wait in RUNNABLE forever, silently.
      jobStateTimeLimitActions: [
        {
          maxTime: UNPLACEABLE_JOB_CANCEL_AFTER,
          reason: JobStateTimeLimitActionsReason.COMPUTE_ENVIRONMENT_MAX_RESOURCE,
        },
        {
          maxTime: UNPLACEABLE_JOB_CANCEL_AFTER,
          reason: JobStateTimeLimitActionsReason.JOB_RESOURCE_REQUIREMENT,
        },
      ],
    });

    const image = new DockerImageAsset(this, 'TrainerImage', {
      directory: PROJECT_ROOT,
      ...repositoryImageOptions(TRAINER_DOCKERFILE, TRAINER_BUILD_CONTEXT, Platform.LINUX_ARM64),
    });
    const logGroup = new LogGroup(this, 'TrainerLogGroup', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    const container = new EcsFargateContainerDefinition(this, 'TrainerContainer', {
      image: ContainerImage.fromDockerImageAsset(image),
      cpu: vcpus,
      memory: Size.mebibytes(size.memoryMiB),
      environment: this.trainerEnvironment(),
      jobRole: this.jobRole,
      logging: LogDrivers.awsLogs({ logGroup, streamPrefix: 'trainer' }),
      // Graviton, as every other container of the pipeline: Batch runs ARM64 on Fargate (not Spot).
      fargateCpuArchitecture: CpuArchitecture.ARM64,
      fargateOperatingSystemFamily: OperatingSystemFamily.LINUX,
      assignPublicIp: false,
      // Everything goes to S3 and the warehouse; /opt/ml (SageMaker's) does not exist on Batch.
      readonlyRootFilesystem: true,
    });
    const jobDefinition = new EcsJobDefinition(this, 'TrainerJob', {
      container,
      timeout: size.timeout,
      retryAttempts: size.attempts,
      propagateTags: true,
    });

    Validations.of(container.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The execution role pulls the image: ecr:GetAuthorizationToken has no resource-level permissions; the layer actions are scoped to the asset repository.',
    });

    new CfnOutput(this, 'TrainerJobQueueArn', {
      value: jobQueue.jobQueueArn,
      description: 'aws batch submit-job --job-queue <this> --job-definition <TrainerJobDefinitionArn> …',
    });
    new CfnOutput(this, 'TrainerJobDefinitionArn', { value: jobDefinition.jobDefinitionArn });
    this.historyReplay = new ReplayArrayJob(this, 'HistoryReplay', {
      vpc: this.props.vpc,
      subnetGroupName: SUBNETS.compute,
      securityGroup: this.trainerSecurityGroup,
      image: ContainerImage.fromDockerImageAsset(image),
      environment: this.trainerEnvironment(),
      jobRole: this.jobRole,
      logGroup,
      days: REPLAY_DAYS_DEFAULT,
      schedule: REPLAY_SCHEDULE,
      jobName: `${config.prefix}-history-replay`,
    });
    return { computeEnvironment, jobQueue, jobDefinition };
  }

  private scheduleAndWatchTraining(): { schedule: Rule; failed: Rule } {
    const { config } = this.props;
    const schedule = new Rule(this, 'TrainingSchedule', {
      description: `Submits the trainer's Batch job once a day (${config.prefix}).`,
      schedule: TRAINING_SCHEDULE,
    });
    schedule.addTarget(
      new BatchJob(
        this.jobQueue.jobQueueArn,
        this.jobQueue,
        this.jobDefinition.jobDefinitionArn,
        this.jobDefinition,
        {
          jobName: `${config.prefix}-trainer-daily`,
          retryAttempts: SUBMIT_RETRY_ATTEMPTS,
          maxEventAge: Duration.hours(1),
        },
      ),
    );

    // Batch publishes no job metrics: a rule on its FAILED events, alarmed through the rule's own
    // TriggeredRules metric, keeps the page a CloudWatch alarm like every other (topic, OK, dashboard),
    // and needs no EventBridge access to the alarm topic's KMS key in the Observability stack.
    const failed = new Rule(this, 'TrainingJobFailed', {
      description: `Trainer Batch jobs that ended FAILED (${config.prefix}).`,
      eventPattern: {
        source: ['aws.batch'],
        detailType: ['Batch Job State Change'],
        detail: { status: ['FAILED'], jobQueue: [this.jobQueue.jobQueueArn] },
      },
    });
    // The events themselves (job id, status reason, attempts), kept for the investigation.
    const failedEvents = new Queue(this, 'FailedTrainingJobEvents', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: FAILED_JOB_EVENTS_RETENTION,
    });
    Validations.of(failedEvents).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'Nothing consumes this queue: it only keeps failed-job events for whoever investigates, so no message can fail processing.',
    });
    failed.addTarget(new SqsQueue(failedEvents));

    const ruleMetric = (rule: Rule, metricName: string, label?: string) =>
      new Metric({
        namespace: 'AWS/Events',
        metricName,
        dimensionsMap: { RuleName: rule.ruleName },
        statistic: 'Sum',
        period: Duration.minutes(5),
        label,
      });
    this.observability.addAlarms(
      // Every attempt failed (Batch retried it `attempts` times): no new model today, and yesterday's
      // champion keeps serving. Never normal: a refused promotion exits 0 and is not a failure.
      new Alarm(this.observability, 'TrainingFailed', {
        alarmDescription: 'trainer: a Batch training job FAILED after all its attempts.',
        metric: ruleMetric(failed, 'TriggeredRules'),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      // EventBridge could not submit the day's job even after its retries (permissions, a disabled
      // queue): nothing trains, and no FAILED event will ever tell.
      new Alarm(this.observability, 'TrainingSubmitFailed', {
        alarmDescription: 'trainer: EventBridge failed to submit the daily Batch job.',
        metric: ruleMetric(schedule, 'FailedInvocations'),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    this.observability.addWidgets(
      new GraphWidget({
        title: 'trainer: daily submissions and failed jobs',
        left: [
          ruleMetric(schedule, 'Invocations', 'submitted'),
          ruleMetric(schedule, 'FailedInvocations', 'submit failed'),
          ruleMetric(failed, 'TriggeredRules', 'job failed'),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'trainer: failed-job events kept',
        left: [failedEvents.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) })],
        width: 12,
      }),
    );
    return { schedule, failed };
  }

  /**
   * The SageMaker path: an execution role with the Batch job's access (plus its image and logs), an
   * x86_64 image, and the outputs that make `aws sagemaker create-training-job` one command.
   */
  private buildSageMakerOption(): Role {
    const { config, data } = this.props;
    const role = new Role(this, 'SageMakerTrainingRole', {
      assumedBy: new ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'Trainer (SageMaker): models/* read and put, the warehouse through the Data API.',
    });
    this.grantTrainerAccess(role);
    const image = new DockerImageAsset(this, 'TrainerImageX86', {
      directory: PROJECT_ROOT,
      ...repositoryImageOptions(TRAINER_DOCKERFILE, TRAINER_BUILD_CONTEXT, Platform.LINUX_AMD64),
    });
    image.repository.grantPull(role);
    const logs = LogGroup.fromLogGroupName(this, 'SageMakerTrainingLogs', SAGEMAKER_TRAINING_LOG_GROUP);
    logs.grantWrite(role);
    logs.grant(role, 'logs:CreateLogGroup', 'logs:DescribeLogStreams');
    const ack = (finding: string, reason: string) =>
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    ack(
      'Resource::*',
      'Pulling the image: ecr:GetAuthorizationToken has no resource-level permissions; the layer actions are scoped to the asset repository.',
    );
    ack(
      `Resource::arn:<AWS::Partition>:logs:${Token.isUnresolved(this.region) ? '<AWS::Region>' : this.region}:<AWS::AccountId>:log-group:${SAGEMAKER_TRAINING_LOG_GROUP}:*`,
      'The streams of the log group SageMaker names for training jobs; stream names are per job.',
    );

    const models = data.lake.models;
    new CfnOutput(this, 'SageMakerTrainingRoleArn', { value: role.roleArn });
    new CfnOutput(this, 'SageMakerTrainingImageUri', { value: image.imageUri });
    new CfnOutput(this, 'SageMakerTrainingJobInput', {
      description:
        'aws sagemaker create-training-job --training-job-name <name> --cli-input-json "<this>" (lib/README.md)',
      value: this.toJsonString({
        RoleArn: role.roleArn,
        AlgorithmSpecification: { TrainingImage: image.imageUri, TrainingInputMode: 'File' },
        ResourceConfig: { InstanceType: SAGEMAKER_TRAINING_INSTANCE, InstanceCount: 1, VolumeSizeInGB: 5 },
        StoppingCondition: { MaxRuntimeInSeconds: config.ml.trainer.timeout.toSeconds() },
        OutputDataConfig: { S3OutputPath: `s3://${models.bucketName}/${SAGEMAKER_OUTPUT_PREFIX}` },
        Environment: this.trainerEnvironment(),
      }),
    });
    return role;
  }

  private buildInference(): PipelineService {
    const { config, data, computeSecurityGroup } = this.props;
    const size = config.ml.inference;
    const inference = new PipelineService(this, 'Inference', {
      cluster: this.cluster,
      dockerfile: INFERENCE_DOCKERFILE,
      buildContext: INFERENCE_BUILD_CONTEXT,
      serviceName: 'inference',
      pipelineEnv: config.name,
      logLevel: config.logLevel,
      logRetention: config.logRetention,
      desiredCount: size.desiredCount,
      cpu: size.cpu,
      memoryLimitMiB: size.memoryMiB,
      environment: data.runtimeEnvironment(INFERENCE_DATA_VARIABLES),
      vpcSubnets: { subnetGroupName: SUBNETS.compute },
      // The group the Data stack admits to Redis (features in, predictions out).
      securityGroups: [computeSecurityGroup],
    });
    data.cache.grantConnect(inference.taskRole);
    this.grantPrefixes(inference.taskRole, data.lake.models, 'models', {
      read: [ML_PREFIXES.currentModel],
      put: [],
    });
    this.grantPrefixes(inference.taskRole, data.lake.bronze, 'bronze', {
      read: [],
      put: [ML_PREFIXES.servedVectors],
    });
    this.observability.addPipelineService(inference, { id: 'Inference' });
    this.addInferenceMetrics(inference);
    return inference;
  }

  /** Alarms and graphs on what the inference service publishes (containers/inference/main.ts). */
  private addInferenceMetrics(inference: PipelineService): void {
    const { config } = this.props;
    const t = config.alarms;
    const fiveMinutes = Duration.minutes(5);
    // Alarms take the bare metric (a label would turn it into a metric-math alarm); graphs label it.
    const predictions = (flag: string, period?: Duration) =>
      powertoolsMetric(inference, 'Predictions', { dimensions: { flag }, period });
    const latency = powertoolsMetric(inference, 'InferenceLatencyP99', { statistic: 'Maximum' });
    const alarms = [
      new Alarm(this.observability, 'InferenceLatency', {
        alarmDescription: `inference: tick p99 above ${t.inferenceLatencyP99Ms} ms for 5 minutes.`,
        metric: latency,
        threshold: t.inferenceLatencyP99Ms,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
    if (inference.desiredCount > 0) {
      // A prediction every 2 s is 150 per symbol in 5 minutes. Below half for 10 minutes: the book
      // or the features are stale (flagged ticks, graphed by reason) or the task is not serving. No
      // data means no task publishing, so missing data breaches.
      const expected = 150 * config.symbols.length;
      alarms.push(
        new Alarm(this.observability, 'InferenceTooFewPredictions', {
          alarmDescription: `inference: fewer than ${expected / 2} predictions served in 5 minutes, twice.`,
          metric: predictions('served', fiveMinutes),
          threshold: expected / 2,
          comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 2,
          treatMissingData: TreatMissingData.BREACHING,
        }),
      );
    }
    this.observability.addAlarms(...alarms);
    this.observability.addWidgets(
      new GraphWidget({
        title: 'inference: predictions per minute (served, or flagged by reason)',
        left: ['served', 'no-book', 'book-gap', 'book-checksum', 'no-features', 'stale-features'].map(
          (flag) => predictions(flag).with({ label: flag }),
        ),
        width: 8,
      }),
      new GraphWidget({
        title: 'inference: tick latency p99 (ms)',
        left: [latency.with({ label: 'p99 of the minute' })],
        leftAnnotations: [{ value: t.inferenceLatencyP99Ms, label: 'alarm' }],
        width: 8,
      }),
      new GraphWidget({
        title: 'inference: rolling score (RMSE ratio below 1 beats the random walk)',
        left: [powertoolsMetric(inference, 'RmseRatioVsRandomWalk', { statistic: 'Average' })],
        right: [powertoolsMetric(inference, 'HitRate', { statistic: 'Average' })],
        leftAnnotations: [{ value: 1, label: 'random walk' }],
        width: 8,
      }),
    );
  }

  /**
   * Prefix-scoped `Bucket.grantRead`/`grantPut` (never delete), and the cdk-nag findings they produce,
   * acknowledged one by one. cdk-nag names a cross-stack bucket ARN by its export, which
   * `DataStack.exportValue` returns (the same export CDK creates for the grant).
   */
  private grantPrefixes(role: IRole, bucket: IBucket, label: string, access: PrefixAccess): void {
    for (const prefix of access.read) bucket.grantRead(role, prefix);
    for (const prefix of access.put) bucket.grantPut(role, prefix);
    const { data } = this.props;
    const imported = this.resolve(data.exportValue(bucket.bucketArn)) as { 'Fn::ImportValue': string };
    const bucketArn = imported['Fn::ImportValue'];
    const acknowledge = (finding: string, reason: string) =>
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    for (const prefix of new Set([...access.read, ...access.put])) {
      acknowledge(
        `Resource::${bucketArn}/${prefix}`,
        `Objects under the ${prefix} prefix of the ${label} bucket only: keys are created per model version or batch, so no fixed ARN list exists.`,
      );
    }
    if (access.put.length > 0) {
      acknowledge(
        'Action::s3:Abort*',
        `Aborting its own multipart uploads, on the granted prefixes of the ${label} bucket only.`,
      );
    }
    if (access.read.length > 0) {
      acknowledge(
        'Action::s3:GetObject*',
        'Bucket.grantRead: reading objects under the granted prefixes only.',
      );
      acknowledge('Action::s3:GetBucket*', `Bucket.grantRead: metadata of the ${label} bucket only.`);
      acknowledge(
        'Action::s3:List*',
        `Bucket.grantRead: listing the ${label} bucket (grant* cannot add a prefix condition to ListBucket).`,
      );
    }
  }
}

function failFor(id: string) {
  return (what: string, value: unknown, expected: string): never => {
    throw new Error(`MlStack ${id}: invalid ${what} ${JSON.stringify(value)}: ${expected}.`);
  };
}
