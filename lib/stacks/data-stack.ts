/**
 * Everything stateful, in its own stack so that stateless stacks can be destroyed and redeployed
 * freely: the three market streams, the bronze and models buckets, the Redis hot state, the Aurora
 * warehouse and the Binance API key. Compute stacks receive this stack and call its grants and
 * `runtimeEnvironment()`; they never create stateful resources themselves.
 */
import { Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import {
  BINANCE_API_KEY_SECRET_ARN,
  type EnvironmentName,
  PIPELINE_ENV,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import type { EnvironmentConfig } from '../config/environment-config.ts';
import { DataLake } from '../constructs/data-lake.ts';
import { HotStateCache } from '../constructs/hot-state-cache.ts';
import { MarketStreams } from '../constructs/market-streams.ts';
import { Warehouse } from '../constructs/warehouse.ts';
import { SUBNETS } from './network-stack.ts';

export interface DataStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly vpc: IVpc;
  /** Allowed to reach Redis. */
  readonly computeSecurityGroup: ISecurityGroup;
}

export class DataStack extends Stack {
  public readonly streams: MarketStreams;
  public readonly lake: DataLake;
  public readonly cache: HotStateCache;
  public readonly warehouse: Warehouse;
  /** The Binance Ed25519 API key: `{ "apiKey": "…", "privateKeyPem": "…" }`, set by an operator. */
  public readonly binanceApiKey: Secret;
  private readonly config: EnvironmentConfig;

  public constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;

    this.streams = new MarketStreams(this, 'Streams', {
      nameSuffix: config.name,
      capacity: config.streams.capacity,
      retention: Duration.hours(config.streams.retentionHours),
      removalPolicy: config.removalPolicy,
    });

    this.lake = new DataLake(this, 'Lake', { ...config.buckets, removalPolicy: config.removalPolicy });

    this.cache = new HotStateCache(this, 'HotState', {
      vpc: props.vpc,
      subnets: { subnetGroupName: SUBNETS.data },
      ...config.cache,
      removalPolicy: config.removalPolicy,
    });
    this.cache.allowFrom(props.computeSecurityGroup);

    this.warehouse = new Warehouse(this, 'Warehouse', {
      vpc: props.vpc,
      subnets: { subnetGroupName: SUBNETS.data },
      clusterIdentifier: `${config.prefix}-warehouse`,
      ...config.database,
      logRetention: config.logRetention,
    });

    // The value is a placeholder until an operator stores the real key (lib/README.md).
    this.binanceApiKey = new Secret(this, 'BinanceApiKey', {
      description: `Binance Ed25519 API key for the ${config.name} ingestor and REST poller.`,
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.binanceApiKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Binance API keys are issued and revoked on binance.com by a person; no rotation Lambda can create one.',
    });
  }

  /**
   * Every runtime variable that names a resource of this stack, keyed by the names in
   * core/config/environment-names.ts; with `only`, just those (compute passes what it needs, so a
   * task is not handed names of resources it has no grant on). Throws on a name this stack lacks.
   */
  public runtimeEnvironment(only?: readonly EnvironmentName[]): Record<string, string> {
    const all = this.allRuntimeVariables();
    if (only === undefined) return all;
    const picked: Record<string, string> = {};
    const missing: string[] = [];
    for (const name of only) {
      const value = all[name];
      if (value === undefined) missing.push(name);
      else picked[name] = value;
    }
    if (missing.length > 0) {
      throw new Error(
        `DataStack: no runtime variable ${missing.join(', ')}; it provides ${Object.keys(all).join(', ')}.`,
      );
    }
    return picked;
  }

  private allRuntimeVariables(): Record<string, string> {
    return {
      [PIPELINE_ENV]: this.config.name,
      [SYMBOLS]: this.config.symbols.join(','),
      ...this.streams.environment(),
      ...this.lake.environment(),
      ...this.cache.environment(),
      ...this.warehouse.environment(),
      [BINANCE_API_KEY_SECRET_ARN]: this.binanceApiKey.secretArn,
    };
  }
}
