/**
 * The fault spec grammar (documented in README.md) and its parser. Pure: no clock, no randomness.
 *
 *   spec  = item *("," item)
 *   item  = kind *(":" name "=" value)
 *
 * Frame faults (drop, dup, reorder, corrupt, truncate, plus the aliases drop-diff, dup-diff,
 * reorder-diff, drop-trade, dup-trade) take exactly one trigger (every=N, p=P or at=DURATION) and an
 * optional stream=trade|bestBidAsk|depth|depth20|any; drop also takes count=N. Timed faults:
 * disconnect:at=D, stall:at=D:for=D, shutdown:at=D[:grace=D]. REST faults: rest-429, rest-5xx,
 * rest-slow with every=N or p=P, optional path=/api/v3/..., and retryAfter=S / status=5xx / ms=N.
 */
import { FaultSpecError } from './errors.ts';

export const STREAM_KINDS = ['trade', 'bestBidAsk', 'depth', 'depth20'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

export type FrameFaultKind = 'drop' | 'dup' | 'reorder' | 'corrupt' | 'truncate';

/** Which frames of a stream a rule hits: every Nth, each with probability p, or the first at/after a time. */
export type Trigger = { every: number } | { p: number } | { atUs: number };

export interface FrameFaultRule {
  family: 'frame';
  kind: FrameFaultKind;
  stream: StreamKind | 'any';
  trigger: Trigger;
  /** Consecutive frames dropped per trigger (drop only). */
  count: number;
  /** The item as written, for records and messages. */
  text: string;
}

export interface TimedFaultRule {
  family: 'timed';
  kind: 'disconnect' | 'stall' | 'shutdown';
  /** Market time since the venue's first event. */
  atUs: number;
  /** Stall length, or the shutdown's grace before connections close. */
  forUs: number;
  text: string;
}

export interface RestFaultRule {
  family: 'rest';
  kind: 'rest-429' | 'rest-5xx' | 'rest-slow';
  trigger: { every: number } | { p: number };
  /** Only requests to this path (e.g. /api/v3/depth); undefined = every /api/ path. */
  path: string | undefined;
  status: number;
  retryAfterS: number;
  delayMs: number;
  text: string;
}

export type FaultRule = FrameFaultRule | TimedFaultRule | RestFaultRule;

const FRAME_KINDS: Record<string, { kind: FrameFaultKind; stream: StreamKind | 'any' }> = {
  drop: { kind: 'drop', stream: 'depth' },
  dup: { kind: 'dup', stream: 'depth' },
  reorder: { kind: 'reorder', stream: 'depth' },
  corrupt: { kind: 'corrupt', stream: 'any' },
  truncate: { kind: 'truncate', stream: 'any' },
  'drop-diff': { kind: 'drop', stream: 'depth' },
  'dup-diff': { kind: 'dup', stream: 'depth' },
  'reorder-diff': { kind: 'reorder', stream: 'depth' },
  'drop-trade': { kind: 'drop', stream: 'trade' },
  'dup-trade': { kind: 'dup', stream: 'trade' },
};
const TIMED_KINDS = ['disconnect', 'stall', 'shutdown'] as const;
const REST_KINDS = ['rest-429', 'rest-5xx', 'rest-slow'] as const;
const ALL_KINDS = [...Object.keys(FRAME_KINDS), ...TIMED_KINDS, ...REST_KINDS];

const DURATION = /^(\d+(?:\.\d+)?)(us|ms|s|m|h)$/;
const UNIT_US: Record<string, number> = { us: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 };

function durationUs(token: string, name: string, value: string): number {
  const m = DURATION.exec(value);
  if (!m) throw new FaultSpecError(token, `${name}=${value} is not a duration like 500ms, 20s, 2m or 1h`);
  return Math.round(Number(m[1]) * (UNIT_US[m[2] as string] as number));
}

function positiveInt(token: string, name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new FaultSpecError(token, `${name}=${value} is not a whole number of at least 1`);
  }
  return Number(value);
}

function probability(token: string, value: string): number {
  const p = Number(value);
  if (!/^(0|1|0?\.\d+|1\.0+)$/.test(value) || !(p >= 0 && p <= 1)) {
    throw new FaultSpecError(token, `p=${value} is not a probability between 0 and 1`);
  }
  return p;
}

function params(token: string, parts: string[], allowed: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new FaultSpecError(token, `'${part}' is not name=value`);
    const name = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (!allowed.includes(name)) {
      throw new FaultSpecError(token, `unknown parameter '${name}' (allowed: ${allowed.join(', ')})`);
    }
    if (out.has(name)) throw new FaultSpecError(token, `parameter '${name}' given twice`);
    if (value === '') throw new FaultSpecError(token, `parameter '${name}' has no value`);
    out.set(name, value);
  }
  return out;
}

function trigger(token: string, p: Map<string, string>, allowAt: boolean): Trigger {
  const given = ['every', 'p', ...(allowAt ? ['at'] : [])].filter((n) => p.has(n));
  if (given.length !== 1) {
    const options = allowAt ? 'every=N, p=P or at=DURATION' : 'every=N or p=P';
    throw new FaultSpecError(token, `give exactly one trigger: ${options}`);
  }
  const name = given[0] as string;
  const value = p.get(name) as string;
  if (name === 'every') return { every: positiveInt(token, name, value) };
  if (name === 'p') return { p: probability(token, value) };
  return { atUs: durationUs(token, name, value) };
}

function parseItem(token: string): FaultRule {
  const [kind = '', ...rest] = token.split(':');
  const frame = FRAME_KINDS[kind];
  if (frame) {
    const allowed = ['every', 'p', 'at', 'stream', ...(frame.kind === 'drop' ? ['count'] : [])];
    const p = params(token, rest, allowed);
    const stream = p.get('stream') ?? frame.stream;
    if (stream !== 'any' && !(STREAM_KINDS as readonly string[]).includes(stream)) {
      throw new FaultSpecError(token, `stream=${stream} is not one of ${STREAM_KINDS.join(', ')}, any`);
    }
    return {
      family: 'frame',
      kind: frame.kind,
      stream: stream as StreamKind | 'any',
      trigger: trigger(token, p, true),
      count: p.has('count') ? positiveInt(token, 'count', p.get('count') as string) : 1,
      text: token,
    };
  }
  if ((TIMED_KINDS as readonly string[]).includes(kind)) {
    const timed = kind as TimedFaultRule['kind'];
    const allowed = timed === 'stall' ? ['at', 'for'] : timed === 'shutdown' ? ['at', 'grace'] : ['at'];
    const p = params(token, rest, allowed);
    const at = p.get('at');
    if (at === undefined) throw new FaultSpecError(token, `${kind} needs at=DURATION`);
    if (timed === 'stall' && !p.has('for')) throw new FaultSpecError(token, 'stall needs for=DURATION');
    const forText = p.get('for') ?? p.get('grace');
    return {
      family: 'timed',
      kind: timed,
      atUs: durationUs(token, 'at', at),
      // Binance does not say how long after serverShutdown it disconnects; 2 s by default.
      forUs: forText === undefined ? (timed === 'shutdown' ? 2e6 : 0) : durationUs(token, 'for', forText),
      text: token,
    };
  }
  if ((REST_KINDS as readonly string[]).includes(kind)) {
    const rest_ = kind as RestFaultRule['kind'];
    const extra = rest_ === 'rest-429' ? ['retryAfter'] : rest_ === 'rest-5xx' ? ['status'] : ['ms'];
    const p = params(token, rest, ['every', 'p', 'path', ...extra]);
    const path = p.get('path');
    if (path !== undefined && !path.startsWith('/api/')) {
      throw new FaultSpecError(token, `path=${path} does not start with /api/`);
    }
    const status = p.has('status') ? Number(p.get('status')) : 503;
    if (![500, 502, 503, 504].includes(status)) {
      throw new FaultSpecError(token, `status=${p.get('status')} is not one of 500, 502, 503, 504`);
    }
    if (rest_ === 'rest-slow' && !p.has('ms')) throw new FaultSpecError(token, 'rest-slow needs ms=N');
    const t = trigger(token, p, false) as RestFaultRule['trigger'];
    return {
      family: 'rest',
      kind: rest_,
      trigger: t,
      path,
      status,
      retryAfterS: p.has('retryAfter') ? positiveInt(token, 'retryAfter', p.get('retryAfter') as string) : 1,
      delayMs: p.has('ms') ? positiveInt(token, 'ms', p.get('ms') as string) : 0,
      text: token,
    };
  }
  throw new FaultSpecError(token, `unknown fault kind '${kind}' (known: ${ALL_KINDS.join(', ')})`);
}

/** Parses a spec such as `drop-diff:every=500,stall:at=30s:for=3s`; '' and undefined give no faults. */
export function parseFaultSpec(spec: string | undefined): FaultRule[] {
  if (spec === undefined || spec.trim() === '') return [];
  return spec.split(',').map((item) => {
    const token = item.trim();
    if (token === '') throw new FaultSpecError(item, 'empty item (two commas in a row?)');
    return parseItem(token);
  });
}
