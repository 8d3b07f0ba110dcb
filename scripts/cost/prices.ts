/**
 * On-demand list prices for ap-northeast-1 (Asia Pacific, Tokyo), USD, dated. Sources: the AWS
 * pricing pages named beside each group (aws.amazon.com/<service>/pricing). This repository's
 * machines cannot open those pages (they are rendered in the browser), so every price below is
 * marked `verified: false` unless a documented figure was found while writing it; `note` says what
 * was found. Before quoting a total, check the unverified lines against the pages or the AWS Pricing
 * Calculator. Free tiers are ignored (an account's tier is shared by everything in it).
 */

export const PRICES_DATE = '2026-12-01';
export const PRICES_REGION = 'ap-northeast-1';

export interface Price {
  readonly usd: number;
  readonly unit: string;
  /** The AWS pricing page the figure belongs to. */
  readonly source: string;
  /** True only when the figure was read from an AWS document while writing this table. */
  readonly verified: boolean;
  readonly note?: string;
}

const page = (service: string) => `aws.amazon.com/${service}/pricing`;
const unverified = (usd: number, unit: string, service: string, note?: string): Price => ({
  usd,
  unit,
  source: page(service),
  verified: false,
  ...(note ? { note } : {}),
});

export const PRICES = {
  // Kinesis Data Streams (page: kinesis/data-streams/pricing).
  kinesisShardHour: unverified(0.0195, 'shard-hour', 'kinesis/data-streams'),
  kinesisPutUnitsPerMillion: unverified(0.0215, 'million PUT payload units (25 KB)', 'kinesis/data-streams'),
  kinesisExtendedRetentionShardHour: unverified(
    0.026,
    'shard-hour beyond 24 h (to 7 days)',
    'kinesis/data-streams',
  ),
  kinesisOnDemandStreamHour: unverified(0.052, 'stream-hour (on-demand)', 'kinesis/data-streams'),
  kinesisOnDemandWriteGb: unverified(0.104, 'GB written (on-demand, 1 KB rounding)', 'kinesis/data-streams'),
  kinesisOnDemandReadGb: unverified(0.052, 'GB read (on-demand)', 'kinesis/data-streams'),
  kinesisOnDemandRetentionGbMonth: unverified(
    0.13,
    'GB-month beyond 24 h (on-demand)',
    'kinesis/data-streams',
  ),
  kinesisFanOutConsumerShardHour: unverified(
    0.0195,
    'consumer-shard hour (enhanced fan-out)',
    'kinesis/data-streams',
  ),
  kinesisFanOutReadGb: unverified(0.0169, 'GB read by an enhanced fan-out consumer', 'kinesis/data-streams'),
  // AWS Lambda (page: lambda/pricing): Arm price per GB-second.
  lambdaRequestsPerMillion: unverified(0.2, 'million requests', 'lambda'),
  lambdaArmGbSecond: unverified(0.0000133334, 'GB-second (Arm)', 'lambda'),
  // AWS Fargate, Linux/Arm (page: fargate/pricing). The Japanese page opened here still shows an
  // older Tokyo x86 rate (0.0632 USD per vCPU-hour, 0.0158 per GB-hour), above the figures below.
  fargateArmVcpuHour: unverified(
    0.04045,
    'vCPU-hour (Linux/Arm)',
    'fargate',
    'the Tokyo page we could open lists an older, higher x86 rate',
  ),
  fargateArmGbHour: unverified(0.00442, 'GB-hour (Linux/Arm)', 'fargate'),
  // Amazon VPC (page: vpc/pricing).
  natGatewayHour: unverified(
    0.062,
    'NAT gateway-hour',
    'vpc',
    'a third-party page quotes the same Tokyo figure',
  ),
  natGatewayGb: unverified(
    0.062,
    'GB processed by NAT',
    'vpc',
    'a third-party page quotes the same Tokyo figure',
  ),
  interfaceEndpointHour: unverified(0.014, 'interface endpoint-hour per AZ', 'privatelink'),
  interfaceEndpointGb: unverified(0.01, 'GB through interface endpoints', 'privatelink'),
  // Amazon ElastiCache, node-based Valkey (page: elasticache/pricing; Valkey is 20% under Redis OSS).
  cacheNodeHour: {
    'cache.t4g.micro': unverified(0.0208, 'node-hour (Valkey)', 'elasticache'),
    'cache.t4g.small': unverified(0.0416, 'node-hour (Valkey)', 'elasticache'),
    'cache.t4g.medium': unverified(0.0832, 'node-hour (Valkey)', 'elasticache'),
    'cache.r7g.large': unverified(0.2192, 'node-hour (Valkey)', 'elasticache'),
  } as Readonly<Record<string, Price>>,
  // Amazon Aurora PostgreSQL (page: rds/aurora/pricing), Aurora Standard.
  auroraAcuHour: unverified(0.15, 'ACU-hour (Serverless v2)', 'rds/aurora'),
  auroraStorageGbMonth: unverified(0.12, 'GB-month', 'rds/aurora'),
  auroraIoPerMillion: unverified(0.24, 'million I/O requests', 'rds/aurora'),
  dataApiPerMillion: unverified(0.35, 'million Data API requests', 'rds/aurora'),
  // Amazon S3 Standard (page: s3/pricing).
  s3StandardGbMonth: unverified(0.025, 'GB-month (Standard)', 's3'),
  s3PutPer1000: unverified(0.0047, '1,000 PUT/LIST requests', 's3'),
  s3GetPer1000: unverified(0.00037, '1,000 GET requests', 's3'),
  // Amazon CloudWatch (page: cloudwatch/pricing).
  cloudwatchMetricMonth: unverified(0.3, 'custom metric-month (first 10,000)', 'cloudwatch'),
  cloudwatchAlarmMonth: unverified(0.1, 'standard-resolution alarm-month', 'cloudwatch'),
  cloudwatchDashboardMonth: unverified(3, 'dashboard-month (beyond 3 free)', 'cloudwatch'),
  cloudwatchLogsIngestGb: unverified(0.76, 'GB of logs ingested', 'cloudwatch'),
  cloudwatchLogsStorageGbMonth: unverified(0.033, 'GB-month of logs stored', 'cloudwatch'),
  // AWS Secrets Manager (page: secrets-manager/pricing), AWS KMS (page: kms/pricing).
  secretMonth: unverified(0.4, 'secret-month', 'secrets-manager'),
  kmsKeyMonth: unverified(1, 'customer-managed key-month', 'kms'),
} as const;

export type PriceKey = Exclude<keyof typeof PRICES, 'cacheNodeHour'>;
