/**
 * The trainer (containers/trainer) as a scheduled AWS Batch job on Fargate, watched, and optionally
 * runnable as a SageMaker training job:
 *
 * - an ARM64 Fargate compute environment (its own security group: no ingress, HTTPS out only), a job
 *   queue that cancels a job no environment can place, and a job definition sized by `size`;
 * - an EventBridge rule submitting one job per `schedule`, and the history replay array job
 *   (lib/constructs/replay-array-job.ts) on the same image before it;
 * - a failed job pages: a rule on Batch's FAILED events, alarmed through its TriggeredRules metric,
 *   as does a submission EventBridge could not make;
 * - with `sagemaker`, an execution role with the job role's access plus its image and logs, an x86_64
 *   image of the same Dockerfile, and the outputs `aws sagemaker create-training-job` takes
 *   (lib/README.md). CfnTrainingJob is a one-shot run, not a resource to keep, so nothing starts one.
 *
 * What the roles may touch is the caller's (`grantAccess`), so the construct names no bucket or
 * database. Checks Batch's own limits before building anything.
 */
import { CfnOutput, Duration, type RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  EcsFargateContainerDefinition,
  EcsJobDefinition,
  FargateComputeEnvironment,
  JobQueue,
  JobStateTimeLimitActionsReason,
} from 'aws-cdk-lib/aws-batch';
import { Alarm, ComparisonOperator, GraphWidget, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { type IVpc, Peer, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage, CpuArchitecture, LogDrivers, OperatingSystemFamily } from 'aws-cdk-lib/aws-ecs';
import { Rule, type Schedule } from 'aws-cdk-lib/aws-events';
import { BatchJob, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { TrainerConfig } from '../config/environment-config.ts';
import { isIntIn, settingChecker } from '../invalid-setting.ts';
import { validateFargateSize } from './fargate-size.ts';
import type { Observability } from './observability.ts';
import { PROJECT_ROOT } from './pipeline-function.ts';
import { repositoryImageOptions, validateRepositoryImage } from './pipeline-service.ts';
import { ReplayArrayJob } from './replay-array-job.ts';

/**
 * The SageMaker training instance the printed `create-training-job` input names. x86_64: SageMaker
 * training offers no Graviton instances. Two vCPUs and 8 GiB, as much as the Batch job's memory.
 */
export const SAGEMAKER_TRAINING_INSTANCE = 'ml.m5.large';
/** Where SageMaker uploads `/opt/ml/model` (model.tar.gz): under the prefix both roles may put. */
export const SAGEMAKER_OUTPUT_PREFIX = 'models/sagemaker/';
/** The account-wide log group SageMaker training jobs write to. */
export const SAGEMAKER_TRAINING_LOG_GROUP = '/aws/sagemaker/TrainingJobs';

/** A job that cannot ever be placed (sizes beyond the compute environment) is cancelled, so it fails and pages. */
const UNPLACEABLE_JOB_CANCEL_AFTER = Duration.minutes(30);
/** EventBridge's own retries of a SubmitJob call that failed (throttling, a transient Batch error). */
const SUBMIT_RETRY_ATTEMPTS = 3;
/** How long the failed-job events are kept for whoever investigates (SQS's maximum). */
const FAILED_JOB_EVENTS_RETENTION = Duration.days(14);

export interface TrainerJobProps {
  readonly vpc: IVpc;
  readonly subnetGroupName: string;
  /** Prefix of job names and rule descriptions, e.g. `btcusdt-prod`. */
  readonly prefix: string;
  readonly size: TrainerConfig;
  /** The trainer's Dockerfile and what it COPYs, relative to the repository root. */
  readonly dockerfile: string;
  readonly buildContext: readonly string[];
  /** The container's variables, on Batch and SageMaker alike. */
  readonly environment: Record<string, string>;
  /** What the job role (and the SageMaker role) may touch: buckets by prefix, the warehouse. */
  readonly grantAccess: (role: Role) => void;
  readonly schedule: Schedule;
  /** The history replay before training: its schedule and the days it covers. */
  readonly replay: { readonly schedule: Schedule; readonly days: number };
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Where the failure alarms and the graphs go. */
  readonly observability: Observability;
  /** Also make the job runnable on SageMaker, its output under `SAGEMAKER_OUTPUT_PREFIX` of this bucket. */
  readonly sagemakerOutput?: IBucket;
}

export class TrainerJob extends Construct {
  /** No ingress, egress HTTPS only: S3, the Data API, ECR and Logs are all HTTPS. */
  public readonly securityGroup: SecurityGroup;
  public readonly computeEnvironment: FargateComputeEnvironment;
  public readonly jobQueue: JobQueue;
  public readonly jobDefinition: EcsJobDefinition;
  /** The role the training code runs with (Batch). */
  public readonly jobRole: Role;
  /** The scheduled submission. */
  public readonly schedule: Rule;
  /** Batch job state FAILED on this queue. */
  public readonly failedJobs: Rule;
  public readonly historyReplay: ReplayArrayJob;
  /** Present only with `sagemakerOutput`. */
  public readonly sagemakerRole: Role | undefined;

  public constructor(scope: Construct, id: string, props: TrainerJobProps) {
    const where = id === 'Default' ? `TrainerJob in ${scope.node.path}` : `TrainerJob ${id}`;
    validateBatchSize(where, props.size);
    validateRepositoryImage(where, props.dockerfile, props.buildContext);
    super(scope, id);

    this.securityGroup = new SecurityGroup(this, 'TrainerSecurityGroup', {
      vpc: props.vpc,
      description: 'Trainer jobs: no ingress; egress HTTPS only (S3, the RDS Data API, ECR, Logs).',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'AWS APIs over HTTPS');

    this.jobRole = new Role(this, 'TrainerJobRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Trainer (Batch): models/* read and put, the warehouse through the Data API.',
    });
    props.grantAccess(this.jobRole);

    const vcpus = props.size.cpu / 1024;
    this.computeEnvironment = new FargateComputeEnvironment(this, 'TrainerComputeEnvironment', {
      vpc: props.vpc,
      vpcSubnets: { subnetGroupName: props.subnetGroupName },
      securityGroups: [this.securityGroup],
      // Room for one job: a second (an on-demand run beside the scheduled one) waits in the queue,
      // so two runs never race to promote `models/current`.
      maxvCpus: Math.max(1, Math.ceil(vcpus)),
      // On-demand Fargate: Fargate Spot does not run ARM64 jobs, and a reclaimed run costs more
      // than the daily hour of Spot discount it would save.
      spot: false,
    });
    this.jobQueue = new JobQueue(this, 'TrainerQueue', {
      computeEnvironments: [{ computeEnvironment: this.computeEnvironment, order: 1 }],
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
      ...repositoryImageOptions(props.dockerfile, props.buildContext, Platform.LINUX_ARM64),
    });
    const logGroup = new LogGroup(this, 'TrainerLogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const container = new EcsFargateContainerDefinition(this, 'TrainerContainer', {
      image: ContainerImage.fromDockerImageAsset(image),
      cpu: vcpus,
      memory: Size.mebibytes(props.size.memoryMiB),
      environment: props.environment,
      jobRole: this.jobRole,
      logging: LogDrivers.awsLogs({ logGroup, streamPrefix: 'trainer' }),
      // Graviton, as every other container of the pipeline: Batch runs ARM64 on Fargate (not Spot).
      fargateCpuArchitecture: CpuArchitecture.ARM64,
      fargateOperatingSystemFamily: OperatingSystemFamily.LINUX,
      assignPublicIp: false,
      // Everything goes to S3 and the warehouse; /opt/ml (SageMaker's) does not exist on Batch.
      readonlyRootFilesystem: true,
    });
    this.jobDefinition = new EcsJobDefinition(this, 'TrainerJob', {
      container,
      timeout: props.size.timeout,
      retryAttempts: props.size.attempts,
      propagateTags: true,
    });
    Validations.of(container.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The execution role pulls the image: ecr:GetAuthorizationToken has no resource-level permissions; the layer actions are scoped to the asset repository.',
    });

    new CfnOutput(this, 'TrainerJobQueueArn', {
      value: this.jobQueue.jobQueueArn,
      description: 'aws batch submit-job --job-queue <this> --job-definition <TrainerJobDefinitionArn> …',
    });
    new CfnOutput(this, 'TrainerJobDefinitionArn', { value: this.jobDefinition.jobDefinitionArn });
    this.historyReplay = new ReplayArrayJob(this, 'HistoryReplay', {
      vpc: props.vpc,
      subnetGroupName: props.subnetGroupName,
      securityGroup: this.securityGroup,
      image: ContainerImage.fromDockerImageAsset(image),
      environment: props.environment,
      jobRole: this.jobRole,
      logGroup,
      days: props.replay.days,
      schedule: props.replay.schedule,
      jobName: `${props.prefix}-history-replay`,
    });

    ({ schedule: this.schedule, failed: this.failedJobs } = this.scheduleAndWatch(props));
    this.sagemakerRole = props.sagemakerOutput
      ? this.buildSageMakerOption(props, props.sagemakerOutput)
      : undefined;
  }

  private scheduleAndWatch(props: TrainerJobProps): { schedule: Rule; failed: Rule } {
    const { prefix, observability } = props;
    const schedule = new Rule(this, 'TrainingSchedule', {
      description: `Submits the trainer's Batch job once a day (${prefix}).`,
      schedule: props.schedule,
    });
    schedule.addTarget(
      new BatchJob(
        this.jobQueue.jobQueueArn,
        this.jobQueue,
        this.jobDefinition.jobDefinitionArn,
        this.jobDefinition,
        {
          jobName: `${prefix}-trainer-daily`,
          retryAttempts: SUBMIT_RETRY_ATTEMPTS,
          maxEventAge: Duration.hours(1),
        },
      ),
    );

    // Batch publishes no job metrics: a rule on its FAILED events, alarmed through the rule's own
    // TriggeredRules metric, keeps the page a CloudWatch alarm like every other (topic, OK, dashboard),
    // and needs no EventBridge access to the alarm topic's KMS key in the Observability stack.
    const failed = new Rule(this, 'TrainingJobFailed', {
      description: `Trainer Batch jobs that ended FAILED (${prefix}).`,
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
    observability.addAlarms(
      // Every attempt failed (Batch retried it `attempts` times): no new model today, and yesterday's
      // champion keeps serving. Never normal: a refused promotion exits 0 and is not a failure.
      new Alarm(observability, 'TrainingFailed', {
        alarmDescription: 'trainer: a Batch training job FAILED after all its attempts.',
        metric: ruleMetric(failed, 'TriggeredRules'),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      // EventBridge could not submit the day's job even after its retries (permissions, a disabled
      // queue): nothing trains, and no FAILED event will ever tell.
      new Alarm(observability, 'TrainingSubmitFailed', {
        alarmDescription: 'trainer: EventBridge failed to submit the daily Batch job.',
        metric: ruleMetric(schedule, 'FailedInvocations'),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    observability.addWidgets(
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
  private buildSageMakerOption(props: TrainerJobProps, output: IBucket): Role {
    const stack = Stack.of(this);
    const role = new Role(this, 'SageMakerTrainingRole', {
      assumedBy: new ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'Trainer (SageMaker): models/* read and put, the warehouse through the Data API.',
    });
    props.grantAccess(role);
    const image = new DockerImageAsset(this, 'TrainerImageX86', {
      directory: PROJECT_ROOT,
      ...repositoryImageOptions(props.dockerfile, props.buildContext, Platform.LINUX_AMD64),
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
      `Resource::arn:<AWS::Partition>:logs:${Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region}:<AWS::AccountId>:log-group:${SAGEMAKER_TRAINING_LOG_GROUP}:*`,
      'The streams of the log group SageMaker names for training jobs; stream names are per job.',
    );

    new CfnOutput(this, 'SageMakerTrainingRoleArn', { value: role.roleArn });
    new CfnOutput(this, 'SageMakerTrainingImageUri', { value: image.imageUri });
    new CfnOutput(this, 'SageMakerTrainingJobInput', {
      description:
        'aws sagemaker create-training-job --training-job-name <name> --cli-input-json "<this>" (lib/README.md)',
      value: stack.toJsonString({
        RoleArn: role.roleArn,
        AlgorithmSpecification: { TrainingImage: image.imageUri, TrainingInputMode: 'File' },
        ResourceConfig: { InstanceType: SAGEMAKER_TRAINING_INSTANCE, InstanceCount: 1, VolumeSizeInGB: 5 },
        StoppingCondition: { MaxRuntimeInSeconds: props.size.timeout.toSeconds() },
        OutputDataConfig: { S3OutputPath: `s3://${output.bucketName}/${SAGEMAKER_OUTPUT_PREFIX}` },
        Environment: props.environment,
      }),
    });
    return role;
  }
}

/** Batch on Fargate's limits on one job, checked before anything is built. */
function validateBatchSize(where: string, size: TrainerConfig): void {
  validateFargateSize(where, size.cpu, size.memoryMiB);
  const check = settingChecker(where);
  check(
    isIntIn(size.timeout.toSeconds(), 60, 1_209_600),
    'timeout',
    size.timeout.toHumanString(),
    'Batch takes whole seconds from 60',
  );
  check(isIntIn(size.attempts, 1, 10), 'attempts', size.attempts, 'Batch takes 1 to 10');
}
