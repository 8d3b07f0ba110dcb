/**
 * The history replay as an AWS Batch array job: one child per day (containers/trainer/replay-day.ts,
 * the trainer image run as `replay-day`), each replaying that UTC day of bronze through core/features
 * and upserting its feature rows and labels into the warehouse (`training_rows`, idempotent). Its own
 * Fargate compute environment and queue (room for every child at once: the trainer's queue holds one
 * job, so that two trainings never race to promote a model), and a daily rule that submits it with
 * `size` = the number of days, early enough for the training job to read the rows.
 */
import { Duration, Size, Validations } from 'aws-cdk-lib';
import {
  EcsFargateContainerDefinition,
  EcsJobDefinition,
  FargateComputeEnvironment,
  JobQueue,
} from 'aws-cdk-lib/aws-batch';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { type ContainerImage, CpuArchitecture, LogDrivers, OperatingSystemFamily } from 'aws-cdk-lib/aws-ecs';
import { Rule, type Schedule } from 'aws-cdk-lib/aws-events';
import { BatchJob } from 'aws-cdk-lib/aws-events-targets';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { REPLAY_DAYS } from '../../core/config/environment-names.ts';
import { invalidSetting } from '../invalid-setting.ts';

export interface ReplayArrayJobProps {
  readonly vpc: IVpc;
  readonly subnetGroupName: string;
  readonly securityGroup: ISecurityGroup;
  /** The trainer's image (the same code replays and trains). */
  readonly image: ContainerImage;
  /** The trainer's environment (bronze bucket, warehouse); REPLAY_DAYS is added. */
  readonly environment: Record<string, string>;
  /** Reads bronze and calls the Data API (the trainer's job role). */
  readonly jobRole: IRole;
  readonly logGroup: ILogGroup;
  /** Days replayed, ending yesterday: the array size. @default 7 */
  readonly days?: number;
  /** When the array job is submitted. */
  readonly schedule: Schedule;
  /** Per child. @default 1 vCPU, 2 GiB (a synthetic day replayed in about 6 minutes per core here, peak RSS under 300 MB: `npm run bench:replay`) */
  readonly vcpus?: number;
  readonly memoryMiB?: number;
  /** @default 30 minutes */
  readonly timeout?: Duration;
  readonly jobName: string;
}

export class ReplayArrayJob extends Construct {
  readonly jobQueue: JobQueue;
  readonly jobDefinition: EcsJobDefinition;
  readonly schedule: Rule;
  readonly days: number;

  constructor(scope: Construct, id: string, props: ReplayArrayJobProps) {
    super(scope, id);
    const days = props.days ?? 7;
    // Batch array jobs have 2 to 10,000 children.
    if (!(Number.isInteger(days) && days >= 2 && days <= 10_000))
      invalidSetting(`ReplayArrayJob ${id}`, 'days', days, 'need an integer from 2 to 10000');
    this.days = days;
    const vcpus = props.vcpus ?? 1;

    const computeEnvironment = new FargateComputeEnvironment(this, 'ComputeEnvironment', {
      vpc: props.vpc,
      vpcSubnets: { subnetGroupName: props.subnetGroupName },
      securityGroups: [props.securityGroup],
      // Every child at once: the days are independent.
      maxvCpus: Math.ceil(days * vcpus),
      spot: false, // Fargate Spot runs no ARM64 jobs
    });
    this.jobQueue = new JobQueue(this, 'Queue', { computeEnvironments: [{ computeEnvironment, order: 1 }] });
    const container = new EcsFargateContainerDefinition(this, 'Container', {
      image: props.image,
      command: ['replay-day'],
      cpu: vcpus,
      memory: Size.mebibytes(props.memoryMiB ?? 2048),
      environment: { ...props.environment, [REPLAY_DAYS]: String(days) },
      jobRole: props.jobRole,
      logging: LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: 'replay-day' }),
      fargateCpuArchitecture: CpuArchitecture.ARM64,
      fargateOperatingSystemFamily: OperatingSystemFamily.LINUX,
      assignPublicIp: false,
      readonlyRootFilesystem: true,
    });
    Validations.of(container.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The execution role pulls the image: ecr:GetAuthorizationToken has no resource-level permissions; the layer actions are scoped to the asset repository.',
    });
    this.jobDefinition = new EcsJobDefinition(this, 'JobDefinition', {
      container,
      timeout: props.timeout ?? Duration.minutes(30),
      // A child that failed (an S3 or Data API hiccup) is retried: its upserts are idempotent.
      retryAttempts: 2,
      propagateTags: true,
    });
    this.schedule = new Rule(this, 'Schedule', {
      description: `Submits the history replay array job, one child per day of the last ${days} (${props.jobName}).`,
      schedule: props.schedule,
    });
    this.schedule.addTarget(
      new BatchJob(
        this.jobQueue.jobQueueArn,
        this.jobQueue,
        this.jobDefinition.jobDefinitionArn,
        this.jobDefinition,
        { jobName: props.jobName, size: days, retryAttempts: 2, maxEventAge: Duration.hours(1) },
      ),
    );
  }
}
