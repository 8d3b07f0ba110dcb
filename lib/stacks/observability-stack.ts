/**
 * The alarm topic every stack notifies, and the overview dashboard with the alarms on what exists
 * today: the streams, Redis and Aurora. Later stacks build their own `Observability` with
 * `alarmTopic` (see lib/constructs/observability.ts), so this stack never depends on them.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-config.ts';
import { MARKET_STREAMS } from '../constructs/market-streams.ts';
import { Observability } from '../constructs/observability.ts';
import type { DataStack } from './data-stack.ts';

export interface ObservabilityStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly data: DataStack;
}

export class ObservabilityStack extends Stack {
  public readonly alarmTopic: Topic;
  /** The overview dashboard's facade; later stacks build their own with `alarmTopic`. */
  public readonly observability: Observability;

  public constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config, data } = props;

    // A customer key: CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key.
    const topicKey = new Key(this, 'AlarmTopicKey', {
      description: `Encrypts the ${config.prefix} alarm topic.`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
    });
    topicKey.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `${config.prefix} alarms`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    if (config.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(config.alarmEmail));

    this.observability = new Observability(this, 'Overview', {
      alarmTopic: this.alarmTopic,
      dashboardName: `${config.prefix}-overview`,
      thresholds: config.alarms,
      description: `# ${config.prefix}\\nKinesis ingest and lag, Redis hot state, Aurora warehouse. Compute stacks add their own dashboards.`,
    });
    this.observability
      .addStreams(
        data.streams.all().map(({ kind, stream }) => ({ label: MARKET_STREAMS[kind].baseName, stream })),
      )
      .addRedis(data.cache.nodeIds)
      .addAurora(data.warehouse.cluster);
  }
}
