/**
 * The house Lambda: every function of the pipeline is a PipelineFunction, so runtime, architecture,
 * bundling, logging and Powertools settings are decided once here instead of per stack.
 * After Powertools' `function-with-logstream-construct.ts`: the log group is a sibling construct
 * created with the function, so its retention needs no custom resource.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Architecture, type IDestination, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  NODE_OPTIONS,
  PIPELINE_ENV,
  POWERTOOLS_LOG_LEVEL,
  POWERTOOLS_METRICS_NAMESPACE,
  POWERTOOLS_SERVICE_NAME,
} from '../../core/config/environment-names.ts';
import { invalidSetting, isIntIn } from '../invalid-setting.ts';

/** The repository root: bundling resolves entries and the lock file from here. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The CloudWatch namespace of every metric the pipeline emits through Powertools. */
export const DEFAULT_METRICS_NAMESPACE = 'BtcusdtPipeline';

/** A file copied next to the bundle, e.g. the SBE decoder's WebAssembly module. */
export interface BundledAsset {
  /** Path relative to the repository root, e.g. `native/dist/sbe_decoder.wasm`. */
  readonly from: string;
  /** Path relative to the bundle's directory, e.g. `dist/sbe_decoder.wasm`. */
  readonly to: string;
}

export interface PipelineFunctionProps {
  /** The handler's TypeScript entry, relative to the repository root or absolute. */
  readonly entry: string;
  /**
   * The exported handler.
   * @default 'handler'
   */
  readonly handler?: string;
  /** Powertools service name (`aggregator`, `rest-poller`…): a dimension of every metric and log line. */
  readonly serviceName: string;
  /** Which deployment the function belongs to, passed as PIPELINE_ENV. */
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
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Memory in MB; CPU scales with it, and the WASM decoder and Redis client are CPU-bound.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /** Extra environment variables; use the names from `core/config/environment-names.ts`. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default - a generated name */
  readonly functionName?: string;
  /** @default - no description */
  readonly description?: string;
  /**
   * The VPC to run in (needed to reach Redis).
   * @default - not in a VPC
   */
  readonly vpc?: IVpc;
  /** @default - the VPC's private subnets with egress */
  readonly vpcSubnets?: SubnetSelection;
  /** @default - a new security group */
  readonly securityGroups?: ISecurityGroup[];
  /** @default - unreserved (the account pool) */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Retries of asynchronous invocations (EventBridge, direct async invoke).
   * @default 2 (Lambda's default)
   */
  readonly retryAttempts?: number;
  /** @default Duration.hours(6) (Lambda's default) */
  readonly maxEventAge?: Duration;
  /** @default - no on-failure destination for asynchronous invocations */
  readonly onFailure?: IDestination;
  /** @default Tracing.DISABLED (X-Ray needs a wildcard policy; enable per function when wanted) */
  readonly tracing?: Tracing;
  /** @default - none */
  readonly bundledAssets?: readonly BundledAsset[];
}

/** A Node.js 22 ARM64 Lambda bundled by the local esbuild as ESM, with Powertools settings. */
export class PipelineFunction extends NodejsFunction {
  /** The configured timeout, kept for alarms on duration. */
  public readonly timeoutDuration: Duration;
  /** The Powertools service name, also used to label dashboards (the `service` metric dimension). */
  public readonly serviceName: string;
  /** The Powertools metrics namespace its EMF metrics are published to. */
  public readonly metricsNamespace: string;

  public constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    validateProps(id, props);
    const timeout = props.timeout ?? Duration.seconds(30);
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      // Logs of a function that no longer exists help nobody; alarms and metrics outlive them.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const assets = props.bundledAssets ?? [];
    const metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    super(scope, id, {
      entry: path.resolve(PROJECT_ROOT, props.entry),
      handler: props.handler ?? 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      // Node 22 is the newest runtime verified with our toolchain (docs/adr/0002-toolchain.md); bump it deliberately.
      runtime: Runtime.NODEJS_22_X,
      // Graviton: about 20% cheaper per GB-second, and the decoder is plain WASM.
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout,
      functionName: props.functionName,
      description: props.description,
      logGroup,
      tracing: props.tracing ?? Tracing.DISABLED,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
      securityGroups: props.securityGroups,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      onFailure: props.onFailure,
      environment: {
        [POWERTOOLS_SERVICE_NAME]: props.serviceName,
        [POWERTOOLS_METRICS_NAMESPACE]: metricsNamespace,
        [POWERTOOLS_LOG_LEVEL]: props.logLevel ?? 'INFO',
        [PIPELINE_ENV]: props.pipelineEnv,
        // Stack traces in CloudWatch point at the TypeScript sources.
        [NODE_OPTIONS]: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        // Pin the SDK we test against instead of the one the runtime happens to ship.
        bundleAwsSDK: true,
        // Bundled CommonJS dependencies (ioredis…) still call require(): give ESM one.
        banner:
          "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
        commandHooks:
          assets.length === 0
            ? undefined
            : {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  assets.map(
                    (a) =>
                      `mkdir -p "${path.dirname(path.join(outputDir, a.to))}" && cp "${path.join(inputDir, a.from)}" "${path.join(outputDir, a.to)}"`,
                  ),
              },
      },
    });
    this.timeoutDuration = timeout;
    this.serviceName = props.serviceName;
    this.metricsNamespace = metricsNamespace;

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the newest runtime verified with our esbuild target and Powertools (docs/adr/0002-toolchain.md); bumped deliberately, not by the linter.',
    });
    Validations.of(this.role ?? this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'AWS-managed basic execution policy: write to its own log group only; maintained by AWS.',
    });
    if (props.vpc) {
      Validations.of(this.role ?? this).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'AWS-managed policy for the ENIs a function in a VPC needs; it cannot be scoped to ENIs that do not exist yet.',
      });
    }
  }
}

function validateProps(id: string, props: PipelineFunctionProps): void {
  const where = `PipelineFunction ${id}`;
  if (!/^[a-z][a-z0-9-]{1,40}$/.test(props.serviceName)) {
    invalidSetting(where, 'serviceName', props.serviceName, 'use lower-case kebab case');
  }
  const memory = props.memorySize;
  if (memory !== undefined && !isIntIn(memory, 128, 10_240)) {
    invalidSetting(where, 'memorySize', memory, 'Lambda allows 128 to 10240 MB');
  }
  const timeout = props.timeout;
  if (timeout !== undefined && !isIntIn(timeout.toSeconds(), 1, 900)) {
    invalidSetting(where, 'timeout', timeout.toHumanString(), 'Lambda allows 1 to 900 whole seconds');
  }
  for (const asset of props.bundledAssets ?? []) {
    if (path.isAbsolute(asset.to) || asset.to.split(/[\\/]/).includes('..')) {
      invalidSetting(where, 'bundled asset target', asset.to, 'it must stay inside the bundle');
    }
  }
}
