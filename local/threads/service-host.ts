/**
 * The worker side of a local service thread: starts the service from workerData, answers the
 * parent's calls, posts the service's report and its event-loop delay every second, and
 * stops it when asked. Each local service that is its own machine in AWS (the venue, the ingestor,
 * the Lambda handlers with their event sources, inference) runs in one of these (docs/adr/0140).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type LoopDelay, watchLoopDelay } from './loop-delay.ts';
import type { HostMessage, ParentMessage } from './thread-protocol.ts';

/** As often as the dashboard and the status line redraw. */
const REPORT_EVERY_MS = 1000;

export interface HostedService<Report> {
  /** Sent once to the parent when the service is up (URLs, names). */
  ready: unknown;
  /** The service's live figures (structured-cloneable), sent every REPORT_EVERY_MS and on stop. */
  report(): Report | Promise<Report>;
  /** Calls the parent may make by name. */
  calls?: Record<string, (...args: never[]) => unknown>;
  /** Stops the service; its value goes back to the parent. */
  stop(): Promise<unknown>;
}

export type ServiceLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

export interface HostContext<Config> {
  config: Config;
  log: ServiceLog;
  /** Something the parent should know at once (a timeline entry, the market's end). */
  emit(name: string, payload?: unknown): void;
}

const errorOf = (e: unknown) =>
  e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };

export function hostService<Config, Report>(
  start: (context: HostContext<Config>) => Promise<HostedService<Report>>,
): void {
  const port = parentPort;
  if (!port) throw new Error('hostService runs inside a worker thread.');
  const post = (m: HostMessage) => port.postMessage(m);
  const loop = watchLoopDelay();
  const context: HostContext<Config> = {
    config: (workerData as { config: Config }).config,
    log: (level, message, fields) => post({ type: 'log', level, message, ...(fields ? { fields } : {}) }),
    emit: (name, payload) => post({ type: 'event', name, payload }),
  };
  let service: HostedService<Report> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const sendReport = async (): Promise<void> => {
    if (!service) return;
    const report = await service.report();
    const loopDelay: LoopDelay = loop.read();
    post({ type: 'report', report, loopDelay });
  };
  port.on('message', (m: ParentMessage) => {
    if (m.type === 'call') {
      const fn = service?.calls?.[m.method] as ((...args: unknown[]) => unknown) | undefined;
      Promise.resolve()
        .then(() => {
          if (!fn) throw new Error(`No call ${m.method} on this service.`);
          return fn(...m.args);
        })
        .then(
          (value) => post({ type: 'result', id: m.id, ok: true, value }),
          (e: unknown) => post({ type: 'result', id: m.id, ok: false, error: errorOf(e) }),
        );
    } else if (m.type === 'stop') {
      clearInterval(timer);
      const running = service;
      Promise.resolve(running?.stop())
        .then(async (value) => {
          await sendReport().catch(() => {});
          loop.stop();
          post({ type: 'stopped', value });
        })
        .catch((e: unknown) => post({ type: 'stopped', error: errorOf(e) }));
    }
  });
  start(context).then(
    (s) => {
      service = s;
      post({ type: 'ready', info: s.ready });
      timer = setInterval(() => void sendReport().catch(() => {}), REPORT_EVERY_MS);
      timer.unref();
    },
    (e: unknown) => post({ type: 'failed', error: errorOf(e) }),
  );
}
