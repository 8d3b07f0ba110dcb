/** The runtime's handle on the inference thread (inference-host.ts): its report, notices, model refresh and stop. */
import type { LoopDelay } from '../threads/loop-delay.ts';
import { ServiceThread } from '../threads/service-thread.ts';
import type { InferenceHostConfig, InferenceNotice, InferenceReport } from './inference-host.ts';

type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export class InferenceThread {
  private constructor(private readonly thread: ServiceThread<InferenceReport>) {}

  static async start(
    config: InferenceHostConfig,
    log: Log,
    onNotice: (n: InferenceNotice) => void,
  ): Promise<InferenceThread> {
    const thread = new ServiceThread<InferenceReport>(
      'inference',
      new URL('./inference-host.ts', import.meta.url),
      config,
      log,
    );
    thread.on('notice', (n) => onNotice(n as InferenceNotice));
    await thread.ready;
    return new InferenceThread(thread);
  }

  /** The latest report (a second old at most; the last one once stopped). */
  get report(): InferenceReport | undefined {
    return this.thread.report;
  }

  get loopDelay(): LoopDelay | undefined {
    return this.thread.loopDelay;
  }

  /** Serve a newly promoted model from the next tick: true when the store had a new one. */
  refreshModels(): Promise<boolean> {
    return this.thread.call<boolean>('refreshModels').catch(() => false);
  }

  /** The champion's version in the model store, if there is one. */
  championVersion(): Promise<string | undefined> {
    return this.thread.call<string | undefined>('championVersion');
  }

  /** Stops ticking, saves the online learners and flushes the served-vector log. */
  async stop(): Promise<void> {
    await this.thread.stop().catch(() => {});
  }
}
