import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  BINANCE_API_KEY_SECRET_ARN,
  BRONZE_BUCKET,
  DB_CLUSTER_ARN,
  DB_NAME,
  DB_SECRET_ARN,
  MODELS_BUCKET,
  PIPELINE_ENV,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  STREAM_BESTBIDASK,
  STREAM_DEPTH,
  STREAM_TRADE,
  SYMBOLS,
} from '../../core/config/environment-names.ts';
import { synthPipeline } from './helpers.ts';

const dev = synthPipeline('dev');
const prod = synthPipeline('prod');

describe('DataStack: Kinesis', () => {
  it('creates the three market streams, encrypted with the Kinesis managed key', () => {
    for (const name of ['market-sbe-trade-prod', 'market-sbe-bestbidask-prod', 'market-sbe-depth-prod']) {
      prod.data.hasResourceProperties('AWS::Kinesis::Stream', {
        Name: name,
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      });
    }
  });

  it('is provisioned with one shard and 24 h in dev, on-demand with 7 days in prod', () => {
    dev.data.resourcePropertiesCountIs(
      'AWS::Kinesis::Stream',
      { ShardCount: 1, StreamModeDetails: { StreamMode: 'PROVISIONED' }, RetentionPeriodHours: 24 },
      3,
    );
    prod.data.resourcePropertiesCountIs(
      'AWS::Kinesis::Stream',
      {
        ShardCount: Match.absent(),
        StreamModeDetails: { StreamMode: 'ON_DEMAND' },
        RetentionPeriodHours: 168,
      },
      3,
    );
  });

  it('keeps prod streams when the stack is deleted and drops dev ones', () => {
    prod.data.hasResource('AWS::Kinesis::Stream', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    dev.data.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete' });
  });
});

describe('DataStack: S3', () => {
  it('encrypts every bucket, blocks public access and denies plain HTTP', () => {
    for (const { data } of [dev, prod]) {
      data.resourcePropertiesCountIs(
        'AWS::S3::Bucket',
        {
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
        },
        3,
      );
      data.resourcePropertiesCountIs(
        'AWS::S3::BucketPolicy',
        {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        },
        3,
      );
    }
  });

  it('logs bronze and models access to the access-log bucket', () => {
    prod.data.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'bronze/' },
    });
    prod.data.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'models/' },
    });
  });

  it('tiers bronze to cheaper classes, keeps it forever in prod and expires it in dev', () => {
    const tiering = (expiration: unknown) => ({
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'BronzeTiering',
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
            ],
            ExpirationInDays: expiration,
          }),
        ]),
      },
    });
    prod.data.hasResourceProperties('AWS::S3::Bucket', tiering(Match.absent()));
    dev.data.hasResourceProperties('AWS::S3::Bucket', tiering(180));
  });

  it('versions the models bucket and expires old versions', () => {
    prod.data.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } })]),
      },
    });
  });

  it('empties buckets on deletion in dev only', () => {
    expect(Object.keys(dev.data.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(3);
    expect(Object.keys(prod.data.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(0);
    prod.data.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });
});

describe('DataStack: Redis hot state', () => {
  const common = {
    Engine: 'valkey',
    AtRestEncryptionEnabled: true,
    TransitEncryptionEnabled: true,
    TransitEncryptionMode: 'required',
    AuthToken: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('resolve:secretsmanager')])] },
  };

  it('uses TLS and an AUTH token from Secrets Manager, never a literal', () => {
    prod.data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', common);
    prod.data.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'token', ExcludePunctuation: true }),
    });
  });

  it('is Multi-AZ with failover in prod and a single node in dev', () => {
    prod.data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      ...common,
      NumCacheClusters: 2,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
    });
    dev.data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      ...common,
      NumCacheClusters: 1,
      MultiAZEnabled: false,
      AutomaticFailoverEnabled: false,
      CacheNodeType: 'cache.t4g.micro',
    });
  });

  it('accepts connections only from the compute security group', () => {
    const ingress = prod.data.findResources('AWS::EC2::SecurityGroupIngress');
    const toRedis = Object.values(ingress).filter((r) => JSON.stringify(r).includes('HotStateSecurityGroup'));
    expect(toRedis).toHaveLength(1);
    expect(toRedis[0]).toMatchObject({
      Properties: {
        FromPort: 6379,
        ToPort: 6379,
        SourceSecurityGroupId: { 'Fn::ImportValue': expect.stringMatching(/ComputeSecurityGroup/) },
      },
    });
    prod.data.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Hot-state Valkey'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
  });
});

describe('DataStack: Aurora', () => {
  it('is Serverless v2 PostgreSQL with the Data API, encrypted, IAM auth and TLS forced', () => {
    prod.data.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EnableHttpEndpoint: true,
      StorageEncrypted: true,
      EnableIAMDatabaseAuthentication: true,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 16 },
      DBClusterIdentifier: 'btcusdt-prod-warehouse',
      BackupRetentionPeriod: 14,
      DeletionProtection: true,
    });
    prod.data.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Parameters: { 'rds.force_ssl': '1' },
    });
    prod.data.resourcePropertiesCountIs('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless' }, 2);
  });

  it('can pause in dev and is snapshotted rather than deleted in prod', () => {
    dev.data.hasResourceProperties('AWS::RDS::DBCluster', {
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 2 },
      DeletionProtection: false,
    });
    dev.data.resourceCountIs('AWS::RDS::DBInstance', 1);
    prod.data.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Snapshot' });
  });

  it('rotates its credentials and keeps its logs with a retention', () => {
    prod.data.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    prod.data.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/rds/cluster/btcusdt-prod-warehouse/postgresql',
      RetentionInDays: 30,
    });
  });

  it('opens no database port to compute (Data API only)', () => {
    const ingress = Object.values(prod.data.findResources('AWS::EC2::SecurityGroupIngress'));
    const fromCompute = ingress.filter((r) => JSON.stringify(r).includes('ComputeSecurityGroup'));
    expect(fromCompute.map((r) => (r as { Properties: { FromPort: number } }).Properties.FromPort)).toEqual([
      6379,
    ]);
  });
});

describe('DataStack: runtime environment', () => {
  it('names every resource under the shared environment variable names', () => {
    const env = prod.stacks.data.runtimeEnvironment();
    expect(Object.keys(env).sort()).toEqual(
      [
        PIPELINE_ENV,
        SYMBOLS,
        STREAM_TRADE,
        STREAM_BESTBIDASK,
        STREAM_DEPTH,
        BRONZE_BUCKET,
        MODELS_BUCKET,
        REDIS_URL,
        REDIS_AUTH_SECRET_ARN,
        DB_CLUSTER_ARN,
        DB_SECRET_ARN,
        DB_NAME,
        BINANCE_API_KEY_SECRET_ARN,
      ].sort(),
    );
    expect(env[PIPELINE_ENV]).toBe('prod');
    expect(env[SYMBOLS]).toBe('BTCUSDT');
    expect(prod.stacks.data.resolve(env[REDIS_URL])).toMatchObject({
      'Fn::Join': ['', expect.arrayContaining(['rediss://'])],
    });
  });

  it('keeps the Binance API key in Secrets Manager, retained in prod', () => {
    prod.data.hasResource('AWS::SecretsManager::Secret', {
      Properties: { Description: Match.stringLikeRegexp('^Binance Ed25519 API key') },
      DeletionPolicy: 'Retain',
    });
  });
});
