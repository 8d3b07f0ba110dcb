/**
 * The SBE ingestor (containers/sbe-ingestor) as a Fargate service in the compute subnets: Binance
 * WebSocket in, Kinesis PutRecords out. Its task role may put records to the three market streams and
 * read the Binance API key, nothing else; its security group admits nothing and lets out only HTTPS
 * (AWS APIs) and the Binance port. Its own dashboard and alarms go to the shared alarm topic.
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, GraphWidget, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { type IVpc, Peer, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerInsights } from 'aws-cdk-lib/aws-ecs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  BINANCE_API_KEY_SECRET_ARN,
  BINANCE_WS_URL,
  STREAM_BESTBIDASK,
  STREAM_DEPTH,
  STREAM_TRADE,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import type { EnvironmentConfig } from '../config/environment-config.ts';
import { Observability, powertoolsMetric } from '../constructs/observability.ts';
import { PipelineService } from '../constructs/pipeline-service.ts';
import type { DataStack } from './data-stack.ts';
import { SUBNETS } from './network-stack.ts';

/** The ingestor's Dockerfile, relative to the repository root (the build context). */
export const INGESTOR_DOCKERFILE = 'containers/sbe-ingestor/Dockerfile';

/**
 * What that Dockerfile COPYs: the build context holds these paths only. A test checks every COPY
 * source is here, so adding one to the Dockerfile without adding it here fails in CI, not in a deploy.
 */
export const INGESTOR_BUILD_CONTEXT = [
  'package.json',
  'package-lock.json',
  'core',
  'lambdas/shared',
  'native',
  'containers/build.sh',
  'containers/sbe-ingestor',
] as const;

/** The Data stack's variables the ingestor reads (it has grants on exactly these resources). */
const INGESTOR_DATA_VARIABLES = [
  SYMBOLS,
  STREAM_TRADE,
  STREAM_BESTBIDASK,
  STREAM_DEPTH,
  BINANCE_API_KEY_SECRET_ARN,
] as const;

const HTTPS_PORT = 443;

export interface IngestStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly vpc: IVpc;
  /** Streams to write, the API key to read, and their runtime variables. */
  readonly data: DataStack;
  /** Where the ingestor's alarms go (the Observability stack's topic). */
  readonly alarmTopic: ITopic;
}

export class IngestStack extends Stack {
  public readonly cluster: Cluster;
  public readonly securityGroup: SecurityGroup;
  public readonly ingestor: PipelineService;
  public readonly observability: Observability;

  public constructor(scope: Construct, id: string, props: IngestStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const binancePort = websocketPort(config.ingest.binanceWsUrl);

    this.cluster = new Cluster(this, 'Cluster', {
      vpc: props.vpc,
      clusterName: `${config.prefix}-ingest`,
      // Running/desired task counts for the alarm below exist only with Container Insights.
      containerInsightsV2: ContainerInsights.ENABLED,
    });

    // Not the shared compute group: that one is let into Redis, and the ingestor never talks to Redis.
    this.securityGroup = new SecurityGroup(this, 'IngestorSecurityGroup', {
      vpc: props.vpc,
      description: `SBE ingestor tasks: no ingress; egress HTTPS (AWS APIs) and ${binancePort} (Binance).`,
      allowAllOutbound: false,
    });
    // Kinesis, Secrets Manager, ECR and Logs: through the interface endpoints or NAT, always HTTPS.
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(HTTPS_PORT), 'AWS APIs over HTTPS');
    if (binancePort !== HTTPS_PORT) {
      this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(binancePort), 'Binance SBE WebSocket');
    }

    this.ingestor = new PipelineService(this, 'Ingestor', {
      cluster: this.cluster,
      dockerfile: INGESTOR_DOCKERFILE,
      buildContext: INGESTOR_BUILD_CONTEXT,
      serviceName: 'sbe-ingestor',
      pipelineEnv: config.name,
      logLevel: config.logLevel,
      logRetention: config.logRetention,
      desiredCount: config.ingest.desiredCount,
      cpu: config.ingest.cpu,
      memoryLimitMiB: config.ingest.memoryMiB,
      environment: {
        ...data.runtimeEnvironment(INGESTOR_DATA_VARIABLES),
        [BINANCE_WS_URL]: config.ingest.binanceWsUrl,
      },
      vpcSubnets: { subnetGroupName: SUBNETS.compute },
      securityGroups: [this.securityGroup],
    });
    data.streams.grantWrite(this.ingestor.taskRole);
    data.binanceApiKey.grantRead(this.ingestor.taskRole);

    this.observability = new Observability(this, 'Observability', {
      alarmTopic: props.alarmTopic,
      dashboardName: `${config.prefix}-ingest`,
      thresholds: config.alarms,
      description: `# ${config.prefix} SBE ingestor\\nTasks, CPU and memory; frames, decode errors, sequence gaps, Kinesis puts and buffer overflow (the tasks' Prometheus counters, published as EMF once a minute). Kinesis ingest rate per stream is on the overview dashboard.`,
    });
    this.observability.addPipelineService(this.ingestor, { id: 'Ingestor' });
    this.addIngestorMetrics();
  }

  /** Alarms and graphs on what the ingestor publishes (containers/sbe-ingestor/main.ts). */
  private addIngestorMetrics(): void {
    const svc = this.ingestor;
    const fiveMinutes = { period: Duration.minutes(5) };
    this.observability.addAlarms(
      // The bounded buffer dropped frames: Kinesis could not keep up for longer than the buffer
      // holds. Market data is lost (the gap detector and re-anchor repair the book, not the trades).
      new Alarm(this.observability, 'IngestorBufferOverflow', {
        alarmDescription: 'sbe-ingestor: frames dropped by a full buffer (Kinesis too slow): data lost.',
        metric: powertoolsMetric(svc, 'BufferOverflowFrames', fiveMinutes),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      // Frames that do not decode: usually Binance changed the schema (a new version the decoder
      // rejects). Every such frame is counted and skipped, so a sustained rate means a blind feed.
      new Alarm(this.observability, 'IngestorDecodeErrors', {
        alarmDescription: 'sbe-ingestor: SBE frames failing to decode (schema change?) for 10 minutes.',
        metric: powertoolsMetric(svc, 'DecodeErrors', fiveMinutes),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    const byStream = (stream: string) =>
      powertoolsMetric(svc, 'Frames', { dimensions: { stream }, label: stream });
    const gaps = (reason: string) =>
      powertoolsMetric(svc, 'SequenceGaps', { dimensions: { reason }, label: `gaps: ${reason}` });
    this.observability.addWidgets(
      new GraphWidget({
        title: 'sbe-ingestor: frames per minute',
        left: ['depth', 'trade', 'bestbidask'].map(byStream),
        right: [powertoolsMetric(svc, 'DecodeErrors'), powertoolsMetric(svc, 'BufferOverflowFrames')],
        width: 12,
      }),
      new GraphWidget({
        title: 'sbe-ingestor: continuity and Kinesis',
        left: [
          gaps('missing'),
          gaps('reordered'),
          gaps('duplicate'),
          powertoolsMetric(svc, 'KinesisPutFailures'),
        ],
        right: [powertoolsMetric(svc, 'BufferedBytes', { statistic: 'Maximum' })],
        width: 12,
      }),
    );
  }
}

/** The TCP port of a ws:// or wss:// URL, explicit or by scheme. */
function websocketPort(url: string): number {
  const parsed = new URL(url);
  if (parsed.port) return Number(parsed.port);
  return parsed.protocol === 'ws:' ? 80 : HTTPS_PORT;
}
