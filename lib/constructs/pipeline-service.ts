/**
 * The house Fargate service: every long-lived container of the pipeline (the SBE ingestor, later the
 * inference service) is a PipelineService, so architecture, image build, logging, health check and
 * deployment safety are decided once here, as PipelineFunction does for Lambdas.
 *
 * A worker, not a web server: no load balancer, no public IP, no port mapping. Health is the
 * container's own `GET /health` on HTTP_PORT, run inside the task by ECS; deployments start the new
 * tasks and wait for them to be healthy before stopping the old ones, and roll back when they never are.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  AwsLogDriverMode,
  type ContainerDefinition,
  ContainerImage,
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  type ICluster,
  LogDrivers,
  OperatingSystemFamily,
  PropagatedTagSource,
} from 'aws-cdk-lib/aws-ecs';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  AWS_REGION,
  HTTP_PORT,
  PIPELINE_ENV,
  POWERTOOLS_LOG_LEVEL,
  POWERTOOLS_METRICS_NAMESPACE,
  POWERTOOLS_SERVICE_NAME,
} from '../../core/config/environment-names.ts';
import { invalidSetting } from '../invalid-setting.ts';
import { validateFargateSize } from './fargate-size.ts';
import { DEFAULT_METRICS_NAMESPACE, PROJECT_ROOT } from './pipeline-function.ts';

export interface PipelineServiceProps {
  readonly cluster: ICluster;
  /** The Dockerfile, relative to the repository root, which is the build context (`containers/x/Dockerfile`). */
  readonly dockerfile: string;
  /**
   * The repository paths the Dockerfile COPYs (files or folders, relative to the root). The build
   * context holds these and nothing else, so node_modules, cdk.out, .git, tests and docs never reach
   * it, and the image asset's hash (hence a redeploy) changes only when one of them does.
   */
  readonly buildContext: readonly string[];
  /** Powertools service name (`sbe-ingestor`): container name, log stream prefix, metric dimension. */
  readonly serviceName: string;
  /** Which deployment the service belongs to, passed as PIPELINE_ENV. */
  readonly pipelineEnv: string;
  /**
   * Powertools metrics namespace.
   * @default DEFAULT_METRICS_NAMESPACE
   */
  readonly metricsNamespace?: string;
  /**
   * Powertools log level.
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * How long the container's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Tasks to keep running (0 to 10).
   * @default 1
   */
  readonly desiredCount?: number;
  /**
   * Fargate CPU units (256 = 0.25 vCPU); with memoryLimitMiB, one of Fargate's valid pairs.
   * @default 256
   */
  readonly cpu?: number;
  /** @default 512 */
  readonly memoryLimitMiB?: number;
  /** Extra environment variables; use the names from `core/config/environment-names.ts`. */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Port of the container's HTTP endpoints (/health, /metrics), passed as HTTP_PORT.
   * @default 8080
   */
  readonly httpPort?: number;
  /**
   * Path answering 2xx when the task is healthy (anything else, or no answer, counts as a failure).
   * @default '/health'
   */
  readonly healthCheckPath?: string;
  /**
   * How long after SIGTERM before SIGKILL (2 to 120 s): the container's time to drain.
   * @default Duration.seconds(30)
   */
  readonly stopTimeout?: Duration;
  /** @default - the cluster VPC's private subnets with egress */
  readonly vpcSubnets?: SubnetSelection;
  /** @default - a new security group with no ingress and all egress */
  readonly securityGroups?: ISecurityGroup[];
}

/** An ARM64 Fargate service built from a Dockerfile of this repository, with health check and safe deploys. */
export class PipelineService extends Construct {
  public readonly service: FargateService;
  public readonly taskDefinition: FargateTaskDefinition;
  public readonly container: ContainerDefinition;
  public readonly logGroup: LogGroup;
  /** The Powertools service name, also used to label dashboards. */
  public readonly serviceName: string;
  /** Where the container's EMF metrics land (each container's main.ts bridges Prometheus to EMF). */
  public readonly metricsNamespace: string;
  /** The configured count, kept for the running-tasks alarm. */
  public readonly desiredCount: number;
  public readonly httpPort: number;

  public constructor(scope: Construct, id: string, props: PipelineServiceProps) {
    const settings = withDefaults(props);
    validateProps(id, props, settings);
    super(scope, id);
    const { desiredCount, cpu, memoryLimitMiB, httpPort, healthCheckPath, stopTimeout } = settings;
    this.serviceName = props.serviceName;
    this.metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    this.desiredCount = desiredCount;
    this.httpPort = httpPort;

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      // Logs of a service that no longer exists help nobody; alarms and metrics outlive them.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', {
      cpu,
      memoryLimitMiB,
      // Graviton: about 20% cheaper than x86 on Fargate, and the decoder is plain WASM.
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.ARM64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });

    this.container = this.taskDefinition.addContainer('Container', {
      containerName: props.serviceName,
      image: ContainerImage.fromAsset(
        PROJECT_ROOT,
        repositoryImageOptions(props.dockerfile, props.buildContext, Platform.LINUX_ARM64),
      ),
      environment: {
        [POWERTOOLS_SERVICE_NAME]: props.serviceName,
        [POWERTOOLS_METRICS_NAMESPACE]: this.metricsNamespace,
        [POWERTOOLS_LOG_LEVEL]: props.logLevel ?? 'INFO',
        [PIPELINE_ENV]: props.pipelineEnv,
        // Fargate sets it too; explicit, so the runtime's parser never falls back to its default.
        [AWS_REGION]: Stack.of(this).region,
        [HTTP_PORT]: String(httpPort),
        ...props.environment,
      },
      healthCheck: {
        // The runtime image has Node but no curl; fetch is global in Node 22. Non-2xx (503 when
        // unhealthy) or no answer within the timeout fails the check.
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${httpPort}${healthCheckPath}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        // Three misses (about 45 s) before ECS replaces the task: rides out a reconnect, not an outage.
        retries: 3,
        // Secret read, WASM start-up and the first connections; failures meanwhile do not count.
        startPeriod: Duration.seconds(30),
      },
      logging: LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: props.serviceName,
        // Node writes stdout to a pipe synchronously: in blocking mode a slow CloudWatch Logs would
        // stall the event loop, and with it the market data. Non-blocking drops log lines instead.
        mode: AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
      // The services write nothing to disk; a read-only root makes sure nothing can.
      readonlyRootFilesystem: true,
      stopTimeout,
    });

    this.service = new FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      serviceName: props.serviceName,
      desiredCount,
      assignPublicIp: false,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      // Make before break: new tasks start and pass their health check before old ones stop.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      // A deployment whose tasks never turn healthy stops and returns to the last good one.
      circuitBreaker: { enable: true, rollback: true },
      enableExecuteCommand: false,
      enableECSManagedTags: true,
      propagateTags: PropagatedTagSource.SERVICE,
    });

    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The variables are resource names, ARNs and settings from core/config/environment-names.ts; no secret value: secrets are read at runtime by ARN with the task role.',
    });
    const executionRole = this.taskDefinition.executionRole;
    if (executionRole) {
      Validations.of(executionRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'The execution role pulls the image: ecr:GetAuthorizationToken has no resource-level permissions; the layer actions are scoped to the asset repository.',
      });
    }
  }

  /** The role the container's code runs with: grant it exactly what the service needs. */
  public get taskRole(): IRole {
    return this.taskDefinition.taskRole;
  }
}

interface Resolved {
  readonly desiredCount: number;
  readonly cpu: number;
  readonly memoryLimitMiB: number;
  readonly httpPort: number;
  readonly healthCheckPath: string;
  readonly stopTimeout: Duration;
}

function withDefaults(props: PipelineServiceProps): Resolved {
  return {
    desiredCount: props.desiredCount ?? 1,
    cpu: props.cpu ?? 256,
    memoryLimitMiB: props.memoryLimitMiB ?? 512,
    httpPort: props.httpPort ?? 8080,
    healthCheckPath: props.healthCheckPath ?? '/health',
    stopTimeout: props.stopTimeout ?? Duration.seconds(30),
  };
}

function validateProps(id: string, props: PipelineServiceProps, r: Resolved): void {
  const where = `PipelineService ${id}`;
  const fail = (what: string, value: unknown, expected: string): never =>
    invalidSetting(where, what, value, expected);
  if (!/^[a-z][a-z0-9-]{1,40}$/.test(props.serviceName)) {
    fail('serviceName', props.serviceName, 'use lower-case kebab case');
  }
  if (!Number.isInteger(r.desiredCount) || r.desiredCount < 0 || r.desiredCount > 10) {
    fail('desiredCount', r.desiredCount, 'need 0 to 10');
  }
  validateFargateSize(where, r.cpu, r.memoryLimitMiB, { cpu: 'cpu', memory: 'memoryLimitMiB' });
  if (!Number.isInteger(r.httpPort) || r.httpPort < 1 || r.httpPort > 65_535) {
    fail('httpPort', r.httpPort, 'need 1 to 65535');
  }
  if (!/^\/[A-Za-z0-9/_-]*$/.test(r.healthCheckPath)) {
    fail('healthCheckPath', r.healthCheckPath, 'need an absolute path such as /health');
  }
  const stopS = r.stopTimeout.toSeconds();
  if (stopS < 2 || stopS > 120) fail('stopTimeout', `${stopS} s`, 'Fargate allows 2 to 120 s');
  validateRepositoryImage(where, props.dockerfile, props.buildContext);
}

/**
 * Checks a Dockerfile of this repository and the allowlist its build context is made of (what the
 * Dockerfile COPYs): plain repository paths, the Dockerfile among them. Shared with the Batch job.
 */
export function validateRepositoryImage(
  where: string,
  dockerfileIn: string,
  buildContext: readonly string[],
): void {
  const fail = (what: string, value: unknown, expected: string): never =>
    invalidSetting(where, what, value, expected);
  const dockerfile = path.normalize(dockerfileIn);
  if (path.isAbsolute(dockerfile) || dockerfile.startsWith('..')) {
    fail('dockerfile', dockerfileIn, 'need a path inside the repository, relative to its root');
  }
  if (buildContext.length === 0) fail('buildContext', buildContext, 'list what the Dockerfile COPYs');
  for (const entry of buildContext) {
    if (path.isAbsolute(entry) || path.normalize(entry).startsWith('..') || /[*?[\]!]/.test(entry)) {
      fail('buildContext entry', entry, 'need a plain path inside the repository');
    }
  }
  const contains = (entry: string) =>
    dockerfile === entry || dockerfile.startsWith(`${path.normalize(entry)}/`);
  if (!buildContext.some(contains)) {
    fail('dockerfile', dockerfileIn, `it must lie inside the build context (${buildContext.join(', ')})`);
  }
}

/**
 * Image asset options for a Dockerfile of this repository: the repository root as the context, reduced
 * to the allowlist with Docker's own .dockerignore semantics (exclude everything, let the paths back in).
 */
export function repositoryImageOptions(
  dockerfile: string,
  buildContext: readonly string[],
  platform: Platform,
): { readonly file: string; readonly platform: Platform; readonly exclude: string[] } {
  return { file: dockerfile, platform, exclude: ['*', ...buildContext.map((p) => `!${p}`)] };
}
