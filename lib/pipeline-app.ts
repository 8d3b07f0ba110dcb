/**
 * Composes the stacks of one environment into an app. Shared by bin/app.ts and the tests, so what
 * the tests check is what `cdk synth` produces.
 */
import type { App } from 'aws-cdk-lib';
import { Tags } from 'aws-cdk-lib';
import type { EnvironmentConfig } from './config/environment-config.ts';
import { DataStack } from './stacks/data-stack.ts';
import { IngestStack } from './stacks/ingest-stack.ts';
import { MlStack } from './stacks/ml-stack.ts';
import { NetworkStack } from './stacks/network-stack.ts';
import { ObservabilityStack } from './stacks/observability-stack.ts';
import { ProcessingStack } from './stacks/processing-stack.ts';

export interface PipelineStacks {
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly observability: ObservabilityStack;
  readonly ingest: IngestStack;
  readonly processing: ProcessingStack;
  readonly ml: MlStack;
}

/** Stack ids are `Btcusdt-<env>-<Part>`: a contract with deployed CloudFormation stacks. */
export function buildPipeline(app: App, config: EnvironmentConfig): PipelineStacks {
  const env = { account: config.account, region: config.region };
  const stackId = (part: string) => `Btcusdt-${config.name}-${part}`;
  const network = new NetworkStack(app, stackId('Network'), {
    env,
    config,
    description: 'BTCUSDT pipeline: VPC and endpoints.',
  });
  const data = new DataStack(app, stackId('Data'), {
    env,
    config,
    vpc: network.vpc,
    computeSecurityGroup: network.computeSecurityGroup,
    description: 'BTCUSDT pipeline: streams, buckets, Redis, Aurora, secrets (stateful).',
    terminationProtection: config.name === 'prod',
  });
  const observability = new ObservabilityStack(app, stackId('Observability'), {
    env,
    config,
    data,
    description: 'BTCUSDT pipeline: alarm topic, overview dashboard and alarms.',
  });
  const ingest = new IngestStack(app, stackId('Ingest'), {
    env,
    config,
    vpc: network.vpc,
    data,
    alarmTopic: observability.alarmTopic,
    description: 'BTCUSDT pipeline: SBE ingestor on Fargate (Binance WebSocket to Kinesis).',
  });
  const processing = new ProcessingStack(app, stackId('Processing'), {
    env,
    config,
    vpc: network.vpc,
    computeSecurityGroup: network.computeSecurityGroup,
    data,
    alarmTopic: observability.alarmTopic,
    description: 'BTCUSDT pipeline: aggregator (Kinesis to Redis) and re-anchor Lambdas.',
  });
  const ml = new MlStack(app, stackId('Ml'), {
    env,
    config,
    vpc: network.vpc,
    computeSecurityGroup: network.computeSecurityGroup,
    data,
    alarmTopic: observability.alarmTopic,
    description:
      'BTCUSDT pipeline: daily trainer on AWS Batch (Fargate), SageMaker option, inference on Fargate.',
  });
  for (const stack of [network, data, observability, ingest, processing, ml]) {
    Tags.of(stack).add('project', 'btcusdt-pipeline');
    Tags.of(stack).add('environment', config.name);
  }
  return { network, data, observability, ingest, processing, ml };
}
