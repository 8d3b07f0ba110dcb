/**
 * Aurora PostgreSQL Serverless v2: the warehouse the data connector fills from bronze and the
 * trainer reads. Reached only through the RDS Data API (HTTPS, IAM-authorised), so no security
 * group opens the Postgres port to compute. Encrypted at rest, TLS forced, credentials rotated.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IVpc, type SubnetSelection, SubnetType } from 'aws-cdk-lib/aws-ec2';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  AuroraPostgresEngineVersion,
  ClusterInstance,
  Credentials,
  DatabaseCluster,
  DatabaseClusterEngine,
} from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { DB_CLUSTER_ARN, DB_NAME, DB_SECRET_ARN } from '../../core/config/environment-names.ts';
import { isIntIn, settingChecker } from '../invalid-setting.ts';

/** 16.3+ can scale to 0 ACU, which lets an idle dev cluster pause. */
export const WAREHOUSE_ENGINE_VERSION = AuroraPostgresEngineVersion.VER_16_6;
export const WAREHOUSE_DATABASE = 'market';

export interface WarehouseProps {
  readonly vpc: IVpc;
  /** Isolated subnets. */
  readonly subnets: SubnetSelection;
  /** The cluster identifier: fixed so its log group can be created, with retention, beforehand. */
  readonly clusterIdentifier: string;
  readonly minCapacityAcu: number;
  readonly maxCapacityAcu: number;
  readonly readers: number;
  readonly backupRetentionDays: number;
  readonly deletionProtection: boolean;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  /** @default Duration.days(30) */
  readonly credentialRotation?: Duration;
}

export class Warehouse extends Construct {
  public readonly cluster: DatabaseCluster;

  public constructor(scope: Construct, id: string, props: WarehouseProps) {
    super(scope, id);
    validateWarehouseProps(`Warehouse ${id}`, props);
    // RDS creates this group on first log line with no retention; owning it first sets one.
    const logGroup = new LogGroup(this, 'PostgresqlLogs', {
      logGroupName: `/aws/rds/cluster/${props.clusterIdentifier}/postgresql`,
      retention: props.logRetention,
      // Log groups cannot be snapshotted: keep them wherever the cluster would be snapshotted.
      removalPolicy:
        props.removalPolicy === RemovalPolicy.SNAPSHOT ? RemovalPolicy.RETAIN : props.removalPolicy,
    });

    this.cluster = new DatabaseCluster(this, 'Cluster', {
      clusterIdentifier: props.clusterIdentifier,
      engine: DatabaseClusterEngine.auroraPostgres({ version: WAREHOUSE_ENGINE_VERSION }),
      writer: ClusterInstance.serverlessV2('Writer'),
      readers: Array.from({ length: props.readers }, (_, i) =>
        ClusterInstance.serverlessV2(`Reader${i + 1}`, { scaleWithWriter: true }),
      ),
      serverlessV2MinCapacity: props.minCapacityAcu,
      serverlessV2MaxCapacity: props.maxCapacityAcu,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      credentials: Credentials.fromGeneratedSecret('pipeline_admin'),
      defaultDatabaseName: WAREHOUSE_DATABASE,
      enableDataApi: true,
      iamAuthentication: true,
      storageEncrypted: true,
      parameters: { 'rds.force_ssl': '1' },
      cloudwatchLogsExports: ['postgresql'],
      backup: { retention: Duration.days(props.backupRetentionDays) },
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
    this.cluster.node.addDependency(logGroup);

    // The rotation Lambda calls Secrets Manager, so it runs where there is a route out.
    this.cluster.addRotationSingleUser({
      automaticallyAfter: props.credentialRotation ?? Duration.days(30),
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
    });

    if (!props.deletionProtection) {
      Validations.of(this.cluster).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason:
          'Deletion protection is off only in dev, where the stack is torn down freely; staging and prod keep it on.',
      });
    }
  }

  /** Data API calls and reading the credentials secret. */
  public grantDataApiAccess(grantee: IGrantable): void {
    this.cluster.grantDataApiAccess(grantee);
  }

  /** DB_CLUSTER_ARN, DB_SECRET_ARN, DB_NAME. */
  public environment(): Record<string, string> {
    const secret = this.cluster.secret;
    if (!secret) throw new Error('Warehouse: the cluster has no credentials secret.');
    return {
      [DB_CLUSTER_ARN]: this.cluster.clusterArn,
      [DB_SECRET_ARN]: secret.secretArn,
      [DB_NAME]: WAREHOUSE_DATABASE,
    };
  }
}

/** Aurora Serverless v2's limits, checked before anything is built. */
function validateWarehouseProps(where: string, props: WarehouseProps): void {
  const check = settingChecker(where);
  check(
    /^[a-z][a-z0-9-]{0,62}$/.test(props.clusterIdentifier),
    'clusterIdentifier',
    props.clusterIdentifier,
    'lower-case letters, digits and hyphens',
  );
  const validAcu = (v: number) => v >= 0 && v <= 256 && Number.isInteger(v * 2);
  check(
    validAcu(props.minCapacityAcu),
    'minCapacityAcu',
    props.minCapacityAcu,
    'need 0 to 256 in steps of 0.5',
  );
  check(
    validAcu(props.maxCapacityAcu) &&
      props.maxCapacityAcu >= 1 &&
      props.maxCapacityAcu >= props.minCapacityAcu,
    'maxCapacityAcu',
    props.maxCapacityAcu,
    `need 1 to 256 in steps of 0.5, at least minCapacityAcu (${props.minCapacityAcu})`,
  );
  check(isIntIn(props.readers, 0, 15), 'readers', props.readers, 'need 0 to 15');
  check(
    isIntIn(props.backupRetentionDays, 1, 35),
    'backupRetentionDays',
    props.backupRetentionDays,
    'need 1 to 35',
  );
}
