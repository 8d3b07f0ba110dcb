import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHyperparameters } from '../../containers/trainer/hyperparameters.ts';
import { runTrainJob } from '../../containers/trainer/train-job.ts';
import { MODEL_VERSION_PATTERN, modelKeys } from '../../core/model/artifact.ts';
import { forecasterFromArtifact } from '../../core/model/forecaster.ts';
import { decidePromotion } from '../../core/model/promotion.ts';
import { LocalModelStore } from '../../lambdas/shared/model-store/local-model-store.ts';
import { syntheticDataset } from './rows.ts';

describe('promotion rule', () => {
  it('refuses a model that does not beat the random walk, ties included', () => {
    expect(decidePromotion({ n: 100, candidateRmseBp: 4.2, randomWalkRmseBp: 4.1 }).promote).toBe(false);
    expect(decidePromotion({ n: 100, candidateRmseBp: 4.1, randomWalkRmseBp: 4.1 }).promote).toBe(false);
  });

  it('accepts a winner with no champion, and refuses one that loses to the champion on the same rows', () => {
    const win = decidePromotion({ n: 100, candidateRmseBp: 3.9, randomWalkRmseBp: 4.1 });
    expect(win).toEqual({
      promote: true,
      reasons: [expect.stringMatching(/beats the random walk/), 'no current champion'],
    });
    const champ = { version: 'v20240809T000000Z-aaaaaaaa', rmseBp: 3.8 };
    expect(
      decidePromotion({ n: 100, candidateRmseBp: 3.9, randomWalkRmseBp: 4.1, champion: champ }).promote,
    ).toBe(false);
    expect(
      decidePromotion({ n: 100, candidateRmseBp: 3.7, randomWalkRmseBp: 4.1, champion: champ }).promote,
    ).toBe(true);
  });

  it('refuses on too few held-out rows; an incompatible champion is not a bar', () => {
    expect(decidePromotion({ n: 10, candidateRmseBp: 1, randomWalkRmseBp: 4 }).promote).toBe(false);
    const d = decidePromotion({
      n: 50,
      candidateRmseBp: 3,
      randomWalkRmseBp: 4,
      champion: { version: 'old', incompatible: 'feature version 0' },
    });
    expect(d.promote).toBe(true);
    expect(d.reasons.join(' ')).toMatch(/cannot be served/);
  });
});

describe('train job with a local model store', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const hp = parseHyperparameters({ maxEpochs: 40, patience: 10, hiddenUnits: '16', dropout: 0, seed: 2 });

  it('promotes a winner, then refuses a noise model that loses to it and to the random walk', async () => {
    const root = await mkdtemp(join(tmpdir(), 'models-'));
    dirs.push(root);
    const store = new LocalModelStore(root);

    const winner = await runTrainJob(syntheticDataset(500, 1, 1), hp, {
      store,
      createdAt: '2024-08-09T00:00:00.000Z',
    });
    expect(winner.version).toMatch(MODEL_VERSION_PATTERN);
    const scores = winner.metrics.heldOut.scores;
    expect(scores[winner.metrics.family]?.all.rmseRatioVsRandomWalk).toBeLessThan(0.9);
    // Every family was scored on the same rows; the promoted one has the lowest RMSE of the offline ones.
    for (const f of ['mlp', 'ridge', 'momentum', 'microprice', 'online', 'randomWalk'])
      expect(scores[f]?.all.n).toBe(winner.metrics.heldOut.n);
    for (const f of ['mlp', 'ridge', 'momentum', 'microprice'])
      expect(scores[winner.metrics.family]?.all.rmseBp).toBeLessThanOrEqual(scores[f]?.all.rmseBp as number);
    expect(winner.metrics.promotion.reasons[0]).toMatch(/^candidate: (mlp|ridge)/);
    expect(winner.promoted).toBe(true);
    const current = JSON.parse(await readFile(join(root, modelKeys.currentArtifact), 'utf8'));
    expect(current.version).toBe(winner.version);
    expect(forecasterFromArtifact(current).kind).toBe(winner.metrics.family);
    const metrics = JSON.parse(await readFile(join(root, modelKeys.metrics(winner.version)), 'utf8'));
    expect(metrics.heldOut.scores).toHaveProperty('ridge');
    expect(metrics.heldOut.scores).toHaveProperty('microprice');

    // Pure noise: nothing to learn; the candidate must not replace the champion.
    const noise = await runTrainJob(syntheticDataset(300, 0, 9), hp, {
      store,
      createdAt: '2024-08-09T01:00:00.000Z',
    });
    expect(noise.promoted).toBe(false);
    expect(noise.metrics.promotion.reasons.join(' ')).toMatch(/does not beat/);
    expect(noise.metrics.heldOut.scores).toHaveProperty('champion');
    expect(JSON.parse(await readFile(join(root, modelKeys.currentArtifact), 'utf8')).version).toBe(
      winner.version,
    );
    // The loser is still stored under its version, for the record.
    expect(await store.getVersion(noise.version)).toBeDefined();
  }, 30_000);
});
