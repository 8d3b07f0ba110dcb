/**
 * The runtime's side of a local service thread (local/threads/service-host.ts is the other): starts
 * the service's module in a worker thread, keeps its latest report and event-loop delay, forwards
 * its logs and events, makes calls by name, and stops it. A worker thread ends with the process
 * that started it, so no service outlives the run however it ends.
 */
import { Worker } from 'node:worker_threads';
import type { LoopDelay } from './loop-delay.ts';
import type { HostMessage, ParentMessage, WireError } from './thread-protocol.ts';

export class ServiceThreadError extends Error {
  override readonly name = 'ServiceThreadError';
}

/** A thread that does not answer its stop within this long is terminated (its stop counted as failed). */
const STOP_TIMEOUT_MS = 60_000;

type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

const asError = (e: WireError) => Object.assign(new Error(e.message), { name: e.name });

export class ServiceThread<Report, Ready = unknown> {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly listeners = new Map<string, ((payload: unknown) => void)[]>();
  private stopped: { resolve(v: unknown): void; reject(e: Error): void } | undefined;
  private exited = false;
  /** The service's latest report (undefined until its first). */
  report: Report | undefined;
  loopDelay: LoopDelay | undefined;
  readonly ready: Promise<Ready>;

  /** `module`: the service's host module (a URL); `config`: its structured-cloneable configuration. */
  constructor(
    readonly name: string,
    module: URL,
    config: unknown,
    private readonly log: Log,
  ) {
    this.worker = new Worker(new URL('./thread-bootstrap.mjs', import.meta.url), {
      workerData: { module: module.href, config },
    });
    this.ready = new Promise<Ready>((resolve, reject) => {
      this.worker.on('message', (m: HostMessage) => {
        switch (m.type) {
          case 'ready':
            resolve(m.info as Ready);
            return;
          case 'failed':
            reject(asError(m.error));
            // Nothing runs in a thread whose service failed to start: end it.
            void this.worker.terminate();
            return;
          case 'report':
            this.report = m.report as Report;
            this.loopDelay = m.loopDelay;
            return;
          case 'result': {
            const p = this.pending.get(m.id);
            this.pending.delete(m.id);
            if (m.ok) p?.resolve(m.value);
            else p?.reject(asError(m.error));
            return;
          }
          case 'log':
            this.log(m.level, m.message, m.fields);
            return;
          case 'event':
            for (const l of this.listeners.get(m.name) ?? []) l(m.payload);
            return;
          case 'stopped':
            if (m.error) this.stopped?.reject(asError(m.error));
            else this.stopped?.resolve(m.value);
            return;
        }
      });
      this.worker.on('error', (e) => {
        this.log('error', `the ${name} thread failed`, { error: `${e.name}: ${e.message}` });
        reject(e);
      });
      this.worker.on('exit', (code) => {
        this.exited = true;
        const gone = new ServiceThreadError(`The ${name} thread exited (code ${code}).`);
        reject(gone);
        for (const p of this.pending.values()) p.reject(gone);
        this.pending.clear();
        this.stopped?.reject(gone);
      });
    });
    // A service that fails to start is reported by whoever awaits `ready`; never unhandled.
    this.ready.catch(() => {});
  }

  on(event: string, listener: (payload: unknown) => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.exited) return Promise.reject(new ServiceThreadError(`The ${this.name} thread has exited.`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.send({ type: 'call', id, method, args });
    });
  }

  /** Asks the service to stop, waits for its last report, and ends the thread. */
  async stop<T = unknown>(timeoutMs = STOP_TIMEOUT_MS): Promise<T | undefined> {
    if (this.exited) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        new Promise<unknown>((resolve, reject) => {
          this.stopped = { resolve, reject };
          this.send({ type: 'stop' });
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new ServiceThreadError(`The ${this.name} thread did not stop within ${timeoutMs} ms.`)),
            timeoutMs,
          );
        }),
      ]);
      return value as T;
    } finally {
      clearTimeout(timer);
      await this.worker.terminate();
    }
  }

  private send(m: ParentMessage): void {
    this.worker.postMessage(m);
  }
}
