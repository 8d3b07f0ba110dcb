/** The runtime's handle on the ingestor thread (ingestor-host.ts): its latest report, notices and stop. */
import type { LoopDelay } from '../threads/loop-delay.ts';
import { ServiceThread } from '../threads/service-thread.ts';
import type { IngestorHostConfig, IngestorNotice, IngestorReport } from './ingestor-host.ts';

type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export class IngestorThread {
  private constructor(private readonly thread: ServiceThread<IngestorReport>) {}

  static async start(
    config: IngestorHostConfig,
    log: Log,
    onNotice: (n: IngestorNotice) => void,
  ): Promise<IngestorThread> {
    const thread = new ServiceThread<IngestorReport>(
      'ingestor',
      new URL('./ingestor-host.ts', import.meta.url),
      config,
      log,
    );
    thread.on('notice', (n) => onNotice(n as IngestorNotice));
    await thread.ready;
    return new IngestorThread(thread);
  }

  /** The latest report (a second old at most; the last one once stopped). */
  get report(): IngestorReport | undefined {
    return this.thread.report;
  }

  get loopDelay(): LoopDelay | undefined {
    return this.thread.loopDelay;
  }

  /** Stops reading, flushes to Kinesis: true when everything received was written. */
  async stop(): Promise<boolean> {
    return (await this.thread.stop<boolean>().catch(() => false)) ?? false;
  }
}
