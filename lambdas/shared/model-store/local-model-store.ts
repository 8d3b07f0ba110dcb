/**
 * ModelStore on a local directory with the S3 layout (`<root>/models/<version>/model.json` …): the
 * local pipeline's model bucket, and SageMaker's /opt/ml/model. Files are written to a temporary name
 * and renamed, so a reader never sees half a model.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type ModelArtifact, modelKeys } from '../../../core/model/artifact.ts';
import type { ModelStore } from '../../../core/model/model-store.ts';

export class LocalModelStore implements ModelStore {
  constructor(readonly root: string) {}

  private async write(key: string, body: string): Promise<void> {
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, body);
    await rename(`${path}.tmp`, path);
  }

  private async read(key: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.root, key), 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async putVersion(artifact: ModelArtifact, metrics: unknown): Promise<void> {
    await this.write(modelKeys.metrics(artifact.version), JSON.stringify(metrics, null, 2));
    await this.write(modelKeys.artifact(artifact.version), JSON.stringify(artifact));
  }

  async getVersion(version: string): Promise<unknown | undefined> {
    const text = await this.read(modelKeys.artifact(version));
    return text === undefined ? undefined : JSON.parse(text);
  }

  async getCurrent(): Promise<unknown | undefined> {
    const text = await this.read(modelKeys.currentArtifact);
    return text === undefined ? undefined : JSON.parse(text);
  }

  async promote(version: string): Promise<void> {
    const model = await this.read(modelKeys.artifact(version));
    if (model === undefined) throw new Error(`Model version ${version} is not in ${this.root}.`);
    await this.write(modelKeys.currentMetrics, (await this.read(modelKeys.metrics(version))) ?? '{}');
    await this.write(modelKeys.currentArtifact, model);
  }
}
