/**
 * The S3 side of the pipeline: the bronze bucket (raw frames and REST responses, partitioned as
 * docs/bronze-layout.md describes), the models bucket (versioned artifacts), and the access-log bucket both log
 * to. All three: encrypted, TLS only, no public access.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type LifecycleRule,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BRONZE_BUCKET, MODELS_BUCKET } from '../../core/config/environment-names.ts';
import type { BucketsConfig } from '../config/environment-config.ts';

export interface DataLakeProps extends BucketsConfig {
  readonly removalPolicy: RemovalPolicy;
}

export class DataLake extends Construct {
  public readonly accessLogs: Bucket;
  public readonly bronze: Bucket;
  public readonly models: Bucket;

  public constructor(scope: Construct, id: string, props: DataLakeProps) {
    super(scope, id);
    // SSE-S3: bronze takes many small PUTs, and SSE-KMS would add a KMS request to each.
    const common = {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
    } as const;
    const abortUploads: LifecycleRule = {
      id: 'AbortIncompleteUploads',
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    };

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      ...common,
      // Log delivery needs ACL-free ownership and SSE-S3 (it cannot write SSE-KMS).
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [
        { id: 'ExpireLogs', expiration: Duration.days(props.accessLogsExpireAfterDays) },
        abortUploads,
      ],
    });

    this.bronze = new Bucket(this, 'Bronze', {
      ...common,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'bronze/',
      // Objects are written once under deterministic keys (idempotent rewrites are identical), so
      // versioning would only pay twice for the same bytes.
      versioned: false,
      lifecycleRules: [
        {
          id: 'BronzeTiering',
          transitions: [
            {
              storageClass: StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(props.bronzeInfrequentAccessAfterDays),
            },
            // Instant retrieval: replays and training read old days without a restore step.
            {
              storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(props.bronzeGlacierAfterDays),
            },
          ],
          ...(props.bronzeExpireAfterDays === undefined
            ? {}
            : { expiration: Duration.days(props.bronzeExpireAfterDays) }),
        },
        abortUploads,
      ],
    });

    this.models = new Bucket(this, 'Models', {
      ...common,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'models/',
      // models/current is overwritten on each promotion: versions make a bad promotion reversible.
      versioned: true,
      lifecycleRules: [
        {
          id: 'ExpireOldVersions',
          noncurrentVersionExpiration: Duration.days(props.modelsNoncurrentExpireAfterDays),
        },
        abortUploads,
      ],
    });
  }

  /** BRONZE_BUCKET, MODELS_BUCKET → bucket names. */
  public environment(): Record<string, string> {
    return { [BRONZE_BUCKET]: this.bronze.bucketName, [MODELS_BUCKET]: this.models.bucketName };
  }
}
