/**
 * The model side of the pipeline: the trainer (containers/trainer) as a daily AWS Batch job on
 * Fargate, optionally runnable as a SageMaker training job (lib/constructs/trainer-job.ts), and the
 * inference service (containers/inference) as a Fargate service next to Redis.
 *
 * - **Trainer**: the job role reads and puts `models/*` on the models bucket, reads the served vectors
 *   and market data under `bronze/`, and calls the Data API on the warehouse, nothing else; the
 *   SageMaker role (`config.ml.sagemaker`) gets the same access.
 * - **Inference**: a `PipelineService` with `computeSecurityGroup` (admitted to Redis); its task role
 *   reads the Redis token and `models/current/*`, and puts `bronze/features/served/*` only.
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, GraphWidget, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerInsights } from 'aws-cdk-lib/aws-ecs';
import { Schedule } from 'aws-cdk-lib/aws-events';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
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
import { PipelineService } from '../constructs/pipeline-service.ts';
import { TrainerJob } from '../constructs/trainer-job.ts';
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
  /** The daily training job, its history replay, their alarms, and the SageMaker option. */
  public readonly trainer: TrainerJob;
  public readonly cluster: Cluster;
  public readonly inference: PipelineService;
  public readonly observability: Observability;
  private readonly props: MlStackProps;

  public constructor(scope: Construct, id: string, props: MlStackProps) {
    super(scope, id, props);
    this.props = props;
    const { config, data } = props;

    this.observability = new Observability(this, 'Observability', {
      alarmTopic: props.alarmTopic,
      dashboardName: `${config.prefix}-ml`,
      thresholds: config.alarms,
      description: `# ${config.prefix} ML\\nDaily training (AWS Batch) and the inference service. Predictions served and flagged, tick latency p99, RMSE vs random walk and hit rate: the inference task's Prometheus metrics, published as EMF once a minute.`,
    });

    // Id 'Default': CDK leaves it out of logical ids, so the trainer's resources keep the ids they
    // had when this stack built them itself (a deployed stack updates them in place).
    this.trainer = new TrainerJob(this, 'Default', {
      vpc: props.vpc,
      subnetGroupName: SUBNETS.compute,
      prefix: config.prefix,
      size: config.ml.trainer,
      dockerfile: TRAINER_DOCKERFILE,
      buildContext: TRAINER_BUILD_CONTEXT,
      environment: this.trainerEnvironment(),
      grantAccess: (role) => this.grantTrainerAccess(role),
      schedule: TRAINING_SCHEDULE,
      replay: { schedule: REPLAY_SCHEDULE, days: REPLAY_DAYS_DEFAULT },
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
      observability: this.observability,
      sagemakerOutput: config.ml.sagemaker ? data.lake.models : undefined,
    });

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
    data.lake.grantPrefixes(role, 'models', { read: [ML_PREFIXES.models], put: [ML_PREFIXES.models] });
    data.lake.grantPrefixes(role, 'bronze', {
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
    data.lake.grantPrefixes(inference.taskRole, 'models', { read: [ML_PREFIXES.currentModel], put: [] });
    data.lake.grantPrefixes(inference.taskRole, 'bronze', { read: [], put: [ML_PREFIXES.servedVectors] });
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
}
