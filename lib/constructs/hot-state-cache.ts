/**
 * Redis hot state (docs/adr/0003-redis-hot-state.md) on ElastiCache for Valkey, through the L1
 * `CfnReplicationGroup` (aws-cdk-lib has no L2). TLS in transit, encryption at rest, an AUTH token
 * generated into Secrets Manager and passed as a dynamic reference (never in the template), Multi-AZ
 * with automatic failover when configured. Cluster mode is off: one shard holds BTCUSDT easily, and
 * the `{SYMBOL}` hash tags in our keys keep the move to cluster mode open.
 */
import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  Connections,
  type IConnectable,
  type IVpc,
  Port,
  SecurityGroup,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { CfnReplicationGroup, CfnSubnetGroup } from 'aws-cdk-lib/aws-elasticache';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { REDIS_AUTH_SECRET_ARN, REDIS_URL } from '../../core/config/environment-names.ts';
import { isIntIn, settingChecker } from '../invalid-setting.ts';

/** Valkey is the Redis-compatible engine ElastiCache prices lowest; the runtime speaks RESP either way. */
export const CACHE_ENGINE = 'valkey';
export const CACHE_ENGINE_VERSION = '8.0';
export const CACHE_PORT = 6379;

export interface HotStateCacheProps {
  readonly vpc: IVpc;
  /** Isolated subnets: the cache needs no route out. */
  readonly subnets: SubnetSelection;
  readonly nodeType: string;
  /** Primary plus replicas (1–6). */
  readonly nodes: number;
  readonly multiAz: boolean;
  readonly snapshotRetentionDays: number;
  readonly removalPolicy: RemovalPolicy;
}

export class HotStateCache extends Construct {
  public readonly replicationGroup: CfnReplicationGroup;
  /** `{ "token": "…" }`, read by the runtime at start-up. */
  public readonly authSecret: Secret;
  public readonly connections: Connections;
  /** `rediss://<primary endpoint>:<port>`. */
  public readonly url: string;
  /** Member node ids (`<group>-001`…): the CacheClusterId dimension of the node metrics. */
  public readonly nodeIds: readonly string[];

  public constructor(scope: Construct, id: string, props: HotStateCacheProps) {
    super(scope, id);
    validateCacheProps(`HotStateCache ${id}`, props);

    this.authSecret = new Secret(this, 'AuthToken', {
      description: 'AUTH token of the hot-state Valkey replication group.',
      // ElastiCache accepts 16-128 printable characters without / " @ or spaces.
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'token',
        excludePunctuation: true,
        passwordLength: 64,
      },
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.authSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating an ElastiCache AUTH token needs the ROTATE/SET two-step and a client that reloads it; planned with the aggregator, not before.',
    });

    const securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Hot-state Valkey: reachable only from the security groups allowed explicitly.',
      allowAllOutbound: false,
    });
    this.connections = new Connections({
      securityGroups: [securityGroup],
      defaultPort: Port.tcp(CACHE_PORT),
    });

    const subnetGroup = new CfnSubnetGroup(this, 'SubnetGroup', {
      description: 'Isolated subnets of the hot-state cache.',
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
    });

    this.replicationGroup = new CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: 'BTCUSDT hot state: order book, trade windows, features, predictions.',
      engine: CACHE_ENGINE,
      engineVersion: CACHE_ENGINE_VERSION,
      cacheNodeType: props.nodeType,
      numCacheClusters: props.nodes,
      automaticFailoverEnabled: props.nodes > 1,
      multiAzEnabled: props.multiAz,
      port: CACHE_PORT,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [securityGroup.securityGroupId],
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      authToken: this.authSecret.secretValueFromJson('token').unsafeUnwrap(),
      snapshotRetentionLimit: props.snapshotRetentionDays,
      autoMinorVersionUpgrade: true,
    });
    this.replicationGroup.applyRemovalPolicy(props.removalPolicy);

    const rg = this.replicationGroup;
    this.url = `rediss://${rg.attrPrimaryEndPointAddress}:${rg.attrPrimaryEndPointPort}`;
    this.nodeIds = Array.from(
      { length: props.nodes },
      (_, i) => `${rg.ref}-${String(i + 1).padStart(3, '0')}`,
    );

    if (!props.multiAz) {
      Validations.of(rg).acknowledge({
        id: 'AwsSolutions-AEC4',
        reason:
          'Single node in this environment for cost (see lib/config/environment-config.ts); prod and staging are Multi-AZ.',
      });
    }
  }

  /** Allows the peer to connect on the cache port. */
  public allowFrom(peer: IConnectable): void {
    this.connections.allowDefaultPortFrom(peer, 'Hot-state clients');
  }

  /** Reading the AUTH token; combine with `allowFrom` for network access. */
  public grantConnect(grantee: IGrantable): void {
    this.authSecret.grantRead(grantee);
  }

  /** REDIS_URL, REDIS_AUTH_SECRET_ARN. */
  public environment(): Record<string, string> {
    return { [REDIS_URL]: this.url, [REDIS_AUTH_SECRET_ARN]: this.authSecret.secretArn };
  }
}

/** ElastiCache's limits on a replication group, checked before anything is built. */
function validateCacheProps(where: string, props: HotStateCacheProps): void {
  const check = settingChecker(where);
  check(
    /^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(props.nodeType),
    'nodeType',
    props.nodeType,
    'expected e.g. cache.t4g.micro',
  );
  check(isIntIn(props.nodes, 1, 6), 'nodes', props.nodes, 'a replication group holds 1 to 6 nodes');
  check(
    !props.multiAz || props.nodes >= 2,
    'multiAz',
    props.multiAz,
    `Multi-AZ needs at least 2 nodes, got ${props.nodes}`,
  );
  check(
    isIntIn(props.snapshotRetentionDays, 1, 35),
    'snapshotRetentionDays',
    props.snapshotRetentionDays,
    'need 1 to 35',
  );
}
