/**
 * The inference service's champion candidate: none until something is promoted, a promoted model
 * swapped in on refresh, and a broken promotion logged and ignored (the last good model keeps
 * serving). On a real directory store with the S3 layout.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelProvider } from '../../containers/inference/model-provider.ts';
import { assembleArtifact } from '../../containers/trainer/fit.ts';
import { FEATURE_COUNT, FEATURE_VERSION } from '../../core/features/feature-names.ts';
import { LocalModelStore } from '../../lambdas/shared/model-store/local-model-store.ts';

/** A linear model whose output is `biasBp` plus twice the first feature (bp). */
function linearArtifact(version: string, biasBp: number) {
  const kernel = new Array<number>(FEATURE_COUNT).fill(0);
  kernel[0] = 2;
  return assembleArtifact(
    [{ units: 1, activation: 'linear', kernel, bias: [biasBp] }],
    { mean: new Array(FEATURE_COUNT).fill(0), std: new Array(FEATURE_COUNT).fill(1), clipZ: 5 },
    version,
    '2026-11-22T00:00:00.000Z',
  );
}

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('ModelProvider', () => {
  it('has no champion until a promotion, swaps the champion in, and ignores a broken one', async () => {
    root = await mkdtemp(join(tmpdir(), 'models-'));
    const store = new LocalModelStore(root);
    const logged: string[] = [];
    const provider = new ModelProvider(store, (level, message) => logged.push(`${level}: ${message}`));
    const x = new Float64Array(FEATURE_COUNT);

    expect(await provider.refresh()).toBe(false);
    expect(provider.get()).toBeUndefined();

    await store.putVersion(linearArtifact('v1', 0.5), {});
    await store.promote('v1');
    expect(await provider.refresh()).toBe(true);
    expect(provider.get()?.version).toBe('v1');
    x[0] = 1;
    expect(provider.get()?.forecast(x)).toBeCloseTo(2.5e-4, 12); // 0.5 + 2 bp
    expect(await provider.refresh()).toBe(false); // the same version is not reloaded

    // Built for other features: the provider must refuse it and keep serving v1.
    await store.putVersion({ ...linearArtifact('v2', 1), featureVersion: FEATURE_VERSION + 1 }, {});
    await store.promote('v2');
    expect(await provider.refresh()).toBe(false);
    expect(provider.get()?.version).toBe('v1');
    expect(logged.at(-1)).toMatch(/^error: could not load models\/current/);

    await store.putVersion(linearArtifact('v3', -1), {});
    await store.promote('v3');
    expect(await provider.refresh()).toBe(true);
    expect(provider.get()?.forecast(x)).toBeCloseTo(1e-4, 12);
  });
});
