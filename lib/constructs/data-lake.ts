/**
 * The S3 side of the pipeline: the bronze bucket (raw frames and REST responses, partitioned as
 * docs/bronze-layout.md describes), the models bucket (versioned artifacts), and the access-log bucket both log
 * to. All three: encrypted, TLS only, no public access.
 */
import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable, IRole } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type LifecycleRule,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { BRONZE_BUCKET, MODELS_BUCKET } from '../../core/config/environment-names.ts';
import type { BucketsConfig } from '../config/environment-config.ts';
import { isIntIn, settingChecker } from '../invalid-setting.ts';

/** The lake's two data buckets, by the name grants use. */
export type LakeBucket = 'bronze' | 'models';

/** What a grantee may do under each key prefix (`bronze/*`…): read (get, list) and/or put; never delete. */
export interface PrefixAccess {
  readonly read: readonly string[];
  readonly put: readonly string[];
}

/** A role, or a function (its role gets the policy and the acknowledgements). */
export type LakeGrantee = IGrantable & IConstruct & { readonly role?: IRole };

export interface DataLakeProps extends BucketsConfig {
  readonly removalPolicy: RemovalPolicy;
}

export class DataLake extends Construct {
  public readonly accessLogs: Bucket;
  public readonly bronze: Bucket;
  public readonly models: Bucket;

  public constructor(scope: Construct, id: string, props: DataLakeProps) {
    super(scope, id);
    validateLifecycle(`DataLake ${id}`, props);
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

  /**
   * Prefix-scoped `Bucket.grantRead`/`grantPut` (never delete) on one of the lake's buckets, and the
   * cdk-nag findings those grants produce, acknowledged one by one with their reason. For a grantee
   * in another stack, cdk-nag names the bucket ARN by the export this stack creates for the grant
   * (`Stack.exportValue` returns the same one).
   */
  public grantPrefixes(grantee: LakeGrantee, which: LakeBucket, access: PrefixAccess): void {
    const bucket = which === 'bronze' ? this.bronze : this.models;
    for (const prefix of access.read) bucket.grantRead(grantee, prefix);
    for (const prefix of access.put) bucket.grantPut(grantee, prefix);
    const arn = this.arnInFindings(bucket, Stack.of(grantee));
    const acknowledge = (finding: string, reason: string) =>
      Validations.of(grantee.role ?? grantee).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    for (const prefix of new Set([...access.read, ...access.put])) {
      acknowledge(
        `Resource::${arn}/${prefix}`,
        `Objects under the ${prefix} prefix of the ${which} bucket only: keys are created per partition, batch or model version, so no fixed ARN list exists.`,
      );
    }
    if (access.put.length > 0) {
      acknowledge(
        'Action::s3:Abort*',
        `Aborting its own multipart uploads, on the granted prefixes of the ${which} bucket only.`,
      );
    }
    if (access.read.length > 0) {
      acknowledge(
        'Action::s3:GetObject*',
        'Bucket.grantRead: reading objects under the granted prefixes only.',
      );
      acknowledge('Action::s3:GetBucket*', `Bucket.grantRead: metadata of the ${which} bucket only.`);
      acknowledge(
        'Action::s3:List*',
        `Bucket.grantRead: listing the ${which} bucket (grant* cannot add a prefix condition to ListBucket).`,
      );
    }
  }

  /** How cdk-nag spells a bucket ARN in the findings of `granteeStack`: a logical id, or an import. */
  private arnInFindings(bucket: Bucket, granteeStack: Stack): string {
    const own = Stack.of(this);
    if (granteeStack === own) return `<${own.getLogicalId(bucket.node.defaultChild as CfnBucket)}.Arn>`;
    const imported = granteeStack.resolve(own.exportValue(bucket.bucketArn)) as { 'Fn::ImportValue': string };
    return imported['Fn::ImportValue'];
  }

  /** BRONZE_BUCKET, MODELS_BUCKET → bucket names. */
  public environment(): Record<string, string> {
    return { [BRONZE_BUCKET]: this.bronze.bucketName, [MODELS_BUCKET]: this.models.bucketName };
  }
}

/** S3's lifecycle rules, checked before any bucket is built. */
function validateLifecycle(where: string, b: BucketsConfig): void {
  const check = settingChecker(where);
  check(
    isIntIn(b.bronzeInfrequentAccessAfterDays, 30, 3650),
    'bronzeInfrequentAccessAfterDays',
    b.bronzeInfrequentAccessAfterDays,
    'S3 needs at least 30 days before STANDARD_IA',
  );
  check(
    b.bronzeGlacierAfterDays >= b.bronzeInfrequentAccessAfterDays + 30,
    'bronzeGlacierAfterDays',
    b.bronzeGlacierAfterDays,
    'must be at least 30 days after the STANDARD_IA transition',
  );
  if (b.bronzeExpireAfterDays !== undefined) {
    check(
      b.bronzeExpireAfterDays > b.bronzeGlacierAfterDays,
      'bronzeExpireAfterDays',
      b.bronzeExpireAfterDays,
      'must come after the Glacier transition',
    );
  }
  for (const key of ['modelsNoncurrentExpireAfterDays', 'accessLogsExpireAfterDays'] as const) {
    check(isIntIn(b[key], 1, 3650), key, b[key], 'need 1 to 3650');
  }
}
