/**
 * Listing past S3's 1,000-key page on s3rver: every key once, in order, after StartAfter, with bare
 * ETags. Both bronze readers (the data connector's and the gap detector's) list through it.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listS3Objects } from '../../lambdas/shared/bronze/list-s3-objects.ts';
import { type S3Emulator, startS3Emulator } from '../../local/emulators/s3-emulator.ts';

const BUCKET = 'listing';
const KEYS = Array.from({ length: 1005 }, (_, i) => `bronze/x/${String(i).padStart(5, '0')}.json`);
let s3: S3Emulator;

beforeAll(async () => {
  s3 = await startS3Emulator({ buckets: [BUCKET] });
  for (let i = 0; i < KEYS.length; i += 100) {
    await Promise.all(
      KEYS.slice(i, i + 100).map((Key) =>
        s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key })),
      ),
    );
  }
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'bronze/y/other.json', Body: '' }));
}, 60_000);
afterAll(async () => {
  await s3?.close();
});

describe('listS3Objects', () => {
  it('pages past 1,000 keys, keeps to the prefix, and resumes after a key', async () => {
    const all: { key: string; etag?: string }[] = [];
    for await (const o of listS3Objects(s3.client, BUCKET, 'bronze/x/')) all.push(o);
    expect(all.map((o) => o.key)).toEqual(KEYS);
    expect(all.every((o) => /^[0-9a-f]{32}$/.test(o.etag ?? ''))).toBe(true);

    const rest: string[] = [];
    for await (const o of listS3Objects(s3.client, BUCKET, 'bronze/x/', KEYS[997])) rest.push(o.key);
    expect(rest).toEqual(KEYS.slice(998));
  });
});
