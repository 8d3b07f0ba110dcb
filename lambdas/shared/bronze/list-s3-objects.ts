/**
 * Every object under a prefix, in key order, after `startAfter` if given. Each page starts after the
 * last key seen, so a caller resumes from a checkpointed key the same way. ETags come bare (S3
 * quotes them in listings and GETs, not in event notifications).
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export const unquote = (etag: string) => etag.replace(/"/g, '');

export async function* listS3Objects(
  s3: S3Client,
  bucket: string,
  prefix: string,
  startAfter?: string,
): AsyncIterable<{ key: string; etag?: string }> {
  let after = startAfter;
  for (;;) {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(after ? { StartAfter: after } : {}) }),
    );
    for (const o of page.Contents ?? []) {
      if (!o.Key) continue;
      after = o.Key;
      yield { key: o.Key, ...(o.ETag ? { etag: unquote(o.ETag) } : {}) };
    }
    if (!page.IsTruncated || !page.Contents?.length) return;
  }
}
