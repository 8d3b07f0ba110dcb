/**
 * Prometheus metrics of a long-running container (ingestor, inference) as CloudWatch metrics:
 * every interval, the increase of each mapped counter (summed over its labels, or split by one label
 * as a dimension) and the value of each mapped gauge are published as EMF through Powertools, which
 * CloudWatch Logs extracts from the container's log stream. Alarms and dashboards then work on them
 * like on the Lambdas' metrics. /metrics stays the Prometheus view.
 */
import type { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Registry } from 'prom-client';

export interface EmfMapping {
  /** The Prometheus metric (a counter or a gauge). */
  prometheus: string;
  /** The CloudWatch metric name. */
  emf: string;
  unit: (typeof MetricUnit)[keyof typeof MetricUnit];
  /** Publish one metric per value of this label, with it as a dimension (counters only). */
  byLabel?: string;
}

export class PrometheusEmfBridge {
  private readonly last = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly metrics: Metrics,
    private readonly mappings: readonly EmfMapping[],
    /** Extra figures computed at publish time (e.g. a latency percentile over the interval). */
    private readonly extra: () => { name: string; unit: EmfMapping['unit']; value: number }[] = () => [],
  ) {}

  /** @param intervalMs one minute by default: CloudWatch's standard resolution */
  start(intervalMs = 60_000): void {
    this.timer = setInterval(() => void this.publish(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.publish();
  }

  /** Publishes one interval's figures; returns them (tests). */
  async publish(): Promise<Record<string, number>> {
    const published: Record<string, number> = {};
    const json = await this.registry.getMetricsAsJSON();
    for (const m of this.mappings) {
      const metric = json.find((j) => j.name === m.prometheus);
      if (!metric) continue;
      const isCounter = String(metric.type) === 'counter';
      const groups = new Map<string, number>();
      for (const v of metric.values) {
        const key = m.byLabel ? String(v.labels[m.byLabel] ?? 'none') : '';
        groups.set(key, (groups.get(key) ?? 0) + v.value);
      }
      for (const [key, value] of groups) {
        const id = `${m.emf}|${key}`;
        const reported = isCounter ? value - (this.last.get(id) ?? 0) : value;
        this.last.set(id, value);
        if (m.byLabel) {
          const single = this.metrics.singleMetric();
          single.addDimension(m.byLabel, key);
          single.addMetric(m.emf, m.unit, reported);
        } else {
          this.metrics.addMetric(m.emf, m.unit, reported);
        }
        published[m.byLabel ? `${m.emf}.${key}` : m.emf] = reported;
      }
    }
    for (const e of this.extra()) {
      this.metrics.addMetric(e.name, e.unit, e.value);
      published[e.name] = e.value;
    }
    this.metrics.publishStoredMetrics();
    return published;
  }
}
