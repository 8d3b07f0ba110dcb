import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Counter, Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PrometheusEmfBridge } from '../../lambdas/shared/emf/prometheus-emf-bridge.ts';

describe('PrometheusEmfBridge', () => {
  afterEach(() => vi.restoreAllMocks());

  it('publishes counter increases per interval, split by a label when asked, and gauge values', async () => {
    const registry = new Registry();
    const gaps = new Counter({
      name: 'gaps_total',
      help: 'g',
      labelNames: ['reason'],
      registers: [registry],
    });
    const frames = new Counter({
      name: 'frames_total',
      help: 'f',
      labelNames: ['stream'],
      registers: [registry],
    });
    const buffered = new Gauge({ name: 'buffered_bytes', help: 'b', registers: [registry] });
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const bridge = new PrometheusEmfBridge(
      registry,
      new Metrics({ namespace: 'test', serviceName: 'svc' }),
      [
        { prometheus: 'gaps_total', emf: 'SequenceGaps', unit: MetricUnit.Count, byLabel: 'reason' },
        { prometheus: 'frames_total', emf: 'Frames', unit: MetricUnit.Count },
        { prometheus: 'buffered_bytes', emf: 'BufferedBytes', unit: MetricUnit.Bytes },
      ],
      () => [{ name: 'LatencyP99', unit: MetricUnit.Milliseconds, value: 2.5 }],
    );
    gaps.inc({ reason: 'missing' }, 3);
    frames.inc({ stream: 'depth' }, 10);
    frames.inc({ stream: 'trade' }, 5);
    buffered.set(1024);
    expect(await bridge.publish()).toEqual({
      'SequenceGaps.missing': 3,
      Frames: 15,
      BufferedBytes: 1024,
      LatencyP99: 2.5,
    });
    gaps.inc({ reason: 'missing' }, 1);
    gaps.inc({ reason: 'duplicate' }, 2);
    frames.inc({ stream: 'depth' }, 4);
    buffered.set(0);
    // The second interval reports increases, not totals.
    expect(await bridge.publish()).toEqual({
      'SequenceGaps.missing': 1,
      'SequenceGaps.duplicate': 2,
      Frames: 4,
      BufferedBytes: 0,
      LatencyP99: 2.5,
    });
    const emf = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l));
    const withReason = emf.find((e) => e.reason === 'duplicate');
    expect(withReason).toMatchObject({ service: 'svc', SequenceGaps: 2 });
    expect(emf.some((e) => e.Frames === 4 && e._aws.CloudWatchMetrics[0].Namespace === 'test')).toBe(true);
  });
});
