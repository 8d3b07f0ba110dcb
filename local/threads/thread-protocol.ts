/** Messages between a local service thread and the runtime that started it (structured clone). */
import type { LoopDelay } from './loop-delay.ts';

export type ParentMessage = { type: 'call'; id: number; method: string; args: unknown[] } | { type: 'stop' };

export interface WireError {
  name: string;
  message: string;
}

export type HostMessage =
  | { type: 'ready'; info: unknown }
  | { type: 'failed'; error: WireError }
  | { type: 'report'; report: unknown; loopDelay: LoopDelay }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: WireError }
  | {
      type: 'log';
      level: 'info' | 'warn' | 'error';
      message: string;
      fields?: Record<string, unknown>;
    }
  | { type: 'event'; name: string; payload: unknown }
  | { type: 'stopped'; value?: unknown; error?: WireError };
