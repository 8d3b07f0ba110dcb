/**
 * Every candidate's rolling RMSE ratio and the served candidate reach CloudWatch: the inference
 * metrics read the arena's report when the registry is read, and the EMF bridge publishes one
 * metric per candidate with the candidate as a dimension.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { INFERENCE_EMF_MAPPINGS, InferenceMetrics } from '../../containers/inference/http-server.ts';
import type { ArenaReport, CandidateReport } from '../../core/scoring/candidate-arena.ts';
import { PrometheusEmfBridge } from '../../lambdas/shared/emf/prometheus-emf-bridge.ts';

const card = (kind: string, ratio: number | null): CandidateReport => ({
  kind,
  version: kind,
  n: ratio === null ? 0 : 900,
  rmseRatioVsRandomWalk: ratio,
  corr: null,
  hitRate: null,
  hitN: 0,
  lossDiffVsRandomWalk: null,
  skillCaptured: null,
});

describe('inference candidate metrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('publishes each candidate rolling RMSE ratio, the served candidate and its scale as EMF', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const metrics = new InferenceMetrics();
    let report: ArenaReport = {
      served: 'online',
      servedScale: 0.6,
      windowTicks: 1800,
      candidates: {
        'random-walk': card('random-walk', 1),
        online: card('online', 0.97),
        momentum: card('momentum', 1.3),
        champion: card('mlp', null),
        served: card('online', 0.98),
        oracle: card('oracle', 0.95),
      },
    };
    metrics.watchCandidates(() => report);
    const bridge = new PrometheusEmfBridge(
      metrics.registry,
      new Metrics({ namespace: 't', serviceName: 'inference' }),
      INFERENCE_EMF_MAPPINGS,
    );
    expect(await bridge.publish()).toEqual({
      'CandidateRmseRatio.random-walk': 1,
      'CandidateRmseRatio.online': 0.97,
      'CandidateRmseRatio.momentum': 1.3,
      'CandidateRmseRatio.oracle': 0.95,
      'ServedCandidate.random-walk': 0,
      'ServedCandidate.online': 1,
      'ServedCandidate.momentum': 0,
      'ServedCandidate.champion': 0,
      ServedScale: 0.6,
    });
    // Read again after a switch: the gauges follow the arena, not the first reading.
    report = { ...report, served: 'random-walk', servedScale: 1 };
    const again = await bridge.publish();
    expect(again['ServedCandidate.online']).toBe(0);
    expect(again['ServedCandidate.random-walk']).toBe(1);
    expect(again.ServedScale).toBe(1);
    expect(await metrics.registry.metrics()).toContain(
      'inference_candidate_rmse_ratio{candidate="online"} 0.97',
    );
  });
});
