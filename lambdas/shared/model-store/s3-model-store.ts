/**
 * ModelStore on S3 (MODELS_BUCKET): `models/<version>/model.json` and `metrics.json`; promotion
 * copies both to `models/current/` (metrics first, then the model, so a reader polling model.json's
 * ETag always finds matching metrics). Each PUT replaces the object atomically.
 */
import {
  CopyObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type ModelArtifact, modelKeys } from '../../../core/model/artifact.ts';
import type { ModelStore } from '../../../core/model/model-store.ts';

export class S3ModelStore implements ModelStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  private async getJson(key: string): Promise<unknown | undefined> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return JSON.parse((await r.Body?.transformToString('utf8')) ?? 'null');
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  private put(key: string, body: string): Promise<unknown> {
    return this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }),
    );
  }

  async putVersion(artifact: ModelArtifact, metrics: unknown): Promise<void> {
    await this.put(modelKeys.metrics(artifact.version), JSON.stringify(metrics, null, 2));
    await this.put(modelKeys.artifact(artifact.version), JSON.stringify(artifact));
  }

  getVersion(version: string): Promise<unknown | undefined> {
    return this.getJson(modelKeys.artifact(version));
  }

  getCurrent(): Promise<unknown | undefined> {
    return this.getJson(modelKeys.currentArtifact);
  }

  async promote(version: string): Promise<void> {
    const copy = (from: string, to: string) =>
      this.s3.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: to,
          CopySource: `${this.bucket}/${from}`,
          ContentType: 'application/json',
          MetadataDirective: 'REPLACE',
        }),
      );
    await copy(modelKeys.metrics(version), modelKeys.currentMetrics);
    await copy(modelKeys.artifact(version), modelKeys.currentArtifact);
  }
}
