/** The runtime's handle on the aggregator thread (aggregator-host.ts): its report, notices, drain and stop. */
import type { LoopDelay } from '../threads/loop-delay.ts';
import { ServiceThread } from '../threads/service-thread.ts';
import type { AggregatorHostConfig, AggregatorNotice, AggregatorReport } from './aggregator-host.ts';

type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export class AggregatorThread {
  private constructor(private readonly thread: ServiceThread<AggregatorReport>) {}

  static async start(
    config: AggregatorHostConfig,
    log: Log,
    on: { notice(n: AggregatorNotice): void; reanchor(symbol: string): void },
  ): Promise<AggregatorThread> {
    const thread = new ServiceThread<AggregatorReport>(
      'aggregator',
      new URL('./aggregator-host.ts', import.meta.url),
      config,
      log,
    );
    thread.on('notice', (n) => on.notice(n as AggregatorNotice));
    thread.on('reanchor', (symbol) => on.reanchor(symbol as string));
    await thread.ready;
    return new AggregatorThread(thread);
  }

  /** The latest report (a second old at most; the last one once stopped). */
  get report(): AggregatorReport | undefined {
    return this.thread.report;
  }

  get loopDelay(): LoopDelay | undefined {
    return this.thread.loopDelay;
  }

  /** Handles everything already in the streams: true when all of it was within `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.thread.call<boolean>('drain', timeoutMs).catch(() => false);
  }

  async stop(): Promise<void> {
    await this.thread.stop().catch(() => {});
  }
}
