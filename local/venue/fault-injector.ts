/**
 * Applies parsed fault rules to what the venue sends, deterministically for a seed, and records
 * every fault it injected so tests can check that a pipeline detected each one. It never touches
 * the ground truth: it only decides what leaves the venue.
 *
 * Frame faults are decided once per published frame (per stream name, e.g. `btcusdt@depth`), so
 * every connection subscribed to that stream sees the same fault. Times are market time since the
 * venue's first event, passed in by the caller (no clock here).
 */

import { Rng } from '../../core/random/rng.ts';
import { SCHEMA_ID } from '../../core/sbe/abi.ts';
import type { FaultRule, FrameFaultRule, RestFaultRule, StreamKind, TimedFaultRule } from './fault-spec.ts';

/** Identifies a frame in records: its stream and the ids it carries. */
export interface FrameInfo {
  kind: StreamKind;
  /** `btcusdt@depth` */
  streamName: string;
  eventTimeUs: number;
  firstUpdateId?: number;
  lastUpdateId?: number;
  firstTradeId?: number;
  lastTradeId?: number;
}

export interface FrameIds {
  firstUpdateId?: number;
  lastUpdateId?: number;
  firstTradeId?: number;
  lastTradeId?: number;
}

export interface InjectedFault extends FrameIds {
  /** 0, 1, 2… in injection order. */
  seq: number;
  kind: string;
  /** The spec item that caused it. */
  rule: string;
  stream?: string;
  /** Market time since the first event, and the exchange time of the frame hit (µs). */
  marketElapsedUs: number;
  eventTimeUs?: number;
  wallTimeMs: number;
  detail?: string;
  /** reorder: the frame sent ahead of the held one. */
  swappedWith?: FrameIds;
  /** stall: per stream, what was withheld while silent. */
  withheld?: Record<string, FrameIds & { frames: number }>;
  /** disconnect, stall, shutdown: connections affected. */
  connections?: number;
  /** rest-*: the request. */
  path?: string;
  status?: number;
}

export interface OutgoingFrame {
  bytes: Uint8Array;
  info: FrameInfo;
}

export type RestFaultDecision =
  | { kind: 'none' }
  | { kind: 'rest-429'; retryAfterS: number }
  | { kind: 'rest-5xx'; status: number }
  | { kind: 'rest-slow'; delayMs: number };

function ids(info: FrameInfo): FrameIds {
  const out: FrameIds = {};
  if (info.firstUpdateId !== undefined) out.firstUpdateId = info.firstUpdateId;
  if (info.lastUpdateId !== undefined) out.lastUpdateId = info.lastUpdateId;
  if (info.firstTradeId !== undefined) out.firstTradeId = info.firstTradeId;
  if (info.lastTradeId !== undefined) out.lastTradeId = info.lastTradeId;
  return out;
}

interface FrameRuleState {
  rule: FrameFaultRule;
  rng: Rng;
  seen: Map<string, number>;
  firedAt: Set<string>;
  /** drop count=N: frames still to drop per stream. */
  dropping: Map<string, number>;
}

export class FaultInjector {
  readonly injected: InjectedFault[] = [];
  private readonly frameRules: FrameRuleState[] = [];
  private readonly timedRules: TimedFaultRule[];
  private readonly restRules: { rule: RestFaultRule; rng: Rng; seen: number }[] = [];
  private readonly held = new Map<string, OutgoingFrame>();
  private stall: { untilUs: number; record: InjectedFault } | undefined;

  constructor(
    rules: readonly FaultRule[],
    seed: number,
    private readonly wallNowMs: () => number = Date.now,
  ) {
    rules.forEach((rule, i) => {
      const rng = Rng.derive(seed, `${i}:${rule.text}`);
      if (rule.family === 'frame') {
        this.frameRules.push({ rule, rng, seen: new Map(), firedAt: new Set(), dropping: new Map() });
      } else if (rule.family === 'rest') {
        this.restRules.push({ rule, rng, seen: 0 });
      }
    });
    this.timedRules = rules
      .filter((r): r is TimedFaultRule => r.family === 'timed')
      .sort((a, b) => a.atUs - b.atUs);
  }

  private record(f: Omit<InjectedFault, 'seq' | 'wallTimeMs'>): InjectedFault {
    const r: InjectedFault = { seq: this.injected.length, wallTimeMs: this.wallNowMs(), ...f };
    this.injected.push(r);
    return r;
  }

  /** Timed faults due by `elapsedUs`, each returned once, in time order. */
  dueTimedFaults(elapsedUs: number): TimedFaultRule[] {
    const due: TimedFaultRule[] = [];
    while (this.timedRules.length > 0 && (this.timedRules[0] as TimedFaultRule).atUs <= elapsedUs) {
      due.push(this.timedRules.shift() as TimedFaultRule);
    }
    return due;
  }

  recordTimed(rule: TimedFaultRule, elapsedUs: number, connections: number, detail?: string): InjectedFault {
    const r = this.record({ kind: rule.kind, rule: rule.text, marketElapsedUs: elapsedUs, connections });
    if (detail !== undefined) r.detail = detail;
    if (rule.kind === 'stall') {
      r.withheld = {};
      this.stall = { untilUs: elapsedUs + rule.forUs, record: r };
    }
    return r;
  }

  /** True while a stall keeps every connection silent (no market frames, no pings). */
  isStalled(elapsedUs: number): boolean {
    if (this.stall && elapsedUs >= this.stall.untilUs) this.stall = undefined;
    return this.stall !== undefined;
  }

  /**
   * What to send for one published frame: nothing (dropped, held for reordering, stalled), the
   * frame, a damaged copy, or several frames (a duplicate, or a frame followed by a held one).
   */
  onFrame(frame: OutgoingFrame, elapsedUs: number): OutgoingFrame[] {
    if (this.isStalled(elapsedUs) && this.stall) {
      const w = this.stall.record.withheld as Record<string, FrameIds & { frames: number }>;
      const entry = w[frame.info.streamName] ?? { frames: 0 };
      const i = frame.info;
      if (i.firstUpdateId !== undefined) entry.firstUpdateId ??= i.firstUpdateId;
      if (i.lastUpdateId !== undefined) entry.lastUpdateId = i.lastUpdateId;
      if (i.firstTradeId !== undefined) entry.firstTradeId ??= i.firstTradeId;
      if (i.lastTradeId !== undefined) entry.lastTradeId = i.lastTradeId;
      entry.frames++;
      w[i.streamName] = entry;
      return [];
    }
    const heldBefore = this.held.get(frame.info.streamName);
    const out = this.applyRules(frame, elapsedUs);
    if (heldBefore) {
      // A frame held by `reorder` goes out right after the next frame of its stream.
      this.held.delete(frame.info.streamName);
      this.noteSwap(heldBefore, frame);
      out.push(heldBefore);
    }
    return out;
  }

  private fires(s: FrameRuleState, streamName: string, elapsedUs: number): boolean {
    const seen = (s.seen.get(streamName) ?? 0) + 1;
    s.seen.set(streamName, seen);
    const t = s.rule.trigger;
    if ('every' in t) return seen % t.every === 0;
    if ('p' in t) return s.rng.chance(t.p);
    if (elapsedUs >= t.atUs && !s.firedAt.has(streamName)) {
      s.firedAt.add(streamName);
      return true;
    }
    return false;
  }

  private applyRules(frame: OutgoingFrame, elapsedUs: number): OutgoingFrame[] {
    const info = frame.info;
    const base = {
      stream: info.streamName,
      marketElapsedUs: elapsedUs,
      eventTimeUs: info.eventTimeUs,
      ...ids(info),
    };
    let action: { s: FrameRuleState } | undefined;
    for (const s of this.frameRules) {
      if (s.rule.stream !== 'any' && s.rule.stream !== info.kind) continue;
      const dropping = s.dropping.get(info.streamName) ?? 0;
      if (dropping > 0) {
        s.dropping.set(info.streamName, dropping - 1);
        action ??= { s };
        continue;
      }
      // Every rule sees every frame of its stream, so one rule's trigger does not shift another's.
      if (this.fires(s, info.streamName, elapsedUs) && !action) {
        action = { s };
        if (s.rule.kind === 'drop' && s.rule.count > 1) s.dropping.set(info.streamName, s.rule.count - 1);
      }
    }
    if (!action) return [frame];
    const rule = action.s.rule;
    const rng = action.s.rng;
    switch (rule.kind) {
      case 'drop':
        this.record({ kind: 'drop', rule: rule.text, ...base });
        return [];
      case 'dup':
        this.record({ kind: 'dup', rule: rule.text, ...base });
        return [frame, frame];
      case 'reorder': {
        if (this.held.has(info.streamName)) return [frame];
        this.held.set(info.streamName, frame);
        this.record({
          kind: 'reorder',
          rule: rule.text,
          ...base,
          detail: 'held and sent after the next frame',
        });
        return [];
      }
      case 'corrupt': {
        const { bytes, how } = corrupt(frame.bytes, rng);
        this.record({ kind: 'corrupt', rule: rule.text, ...base, detail: how });
        return [{ bytes, info }];
      }
      case 'truncate': {
        const length = 1 + rng.int(frame.bytes.length - 1);
        this.record({
          kind: 'truncate',
          rule: rule.text,
          ...base,
          detail: `${length} of ${frame.bytes.length} bytes`,
        });
        return [{ bytes: frame.bytes.slice(0, length), info }];
      }
    }
  }

  /** Completes the reorder record once the frame sent ahead of the held one is known. */
  private noteSwap(held: OutgoingFrame, ahead: OutgoingFrame): void {
    for (let i = this.injected.length - 1; i >= 0; i--) {
      const r = this.injected[i] as InjectedFault;
      if (r.kind === 'reorder' && r.stream === held.info.streamName && r.swappedWith === undefined) {
        r.swappedWith = ids(ahead.info);
        return;
      }
    }
  }

  /** Decides a REST request's fault (evaluated in rule order; the first that fires applies). */
  onRest(path: string, elapsedUs: number): RestFaultDecision {
    let decision: RestFaultDecision = { kind: 'none' };
    for (const s of this.restRules) {
      if (s.rule.path !== undefined && s.rule.path !== path) continue;
      s.seen++;
      const t = s.rule.trigger;
      const fires = 'every' in t ? s.seen % t.every === 0 : s.rng.chance(t.p);
      if (!fires || decision.kind !== 'none') continue;
      const rule = s.rule;
      const base = { kind: rule.kind, rule: rule.text, marketElapsedUs: elapsedUs, path };
      if (rule.kind === 'rest-429') {
        this.record({ ...base, status: 429 });
        decision = { kind: 'rest-429', retryAfterS: rule.retryAfterS };
      } else if (rule.kind === 'rest-5xx') {
        this.record({ ...base, status: rule.status });
        decision = { kind: 'rest-5xx', status: rule.status };
      } else {
        this.record({ ...base, detail: `${rule.delayMs} ms` });
        decision = { kind: 'rest-slow', delayMs: rule.delayMs };
      }
    }
    return decision;
  }
}

const TRADES_TEMPLATE = 10000;

/** Damages a copy of a frame so that an SBE decoder must reject it (SBE itself has no checksum). */
function corrupt(frame: Uint8Array, rng: Rng): { bytes: Uint8Array; how: string } {
  const bytes = frame.slice();
  const view = new DataView(bytes.buffer);
  const blockLength = view.getUint16(0, true);
  const templateId = view.getUint16(2, true);
  const groupAt = 8 + blockLength;
  const hasGroup = bytes.length >= groupAt + 6 && templateId !== 10001;
  const mode = rng.int(hasGroup ? 3 : 2);
  if (mode === 0) {
    view.setUint16(4, SCHEMA_ID + 0x7e00, true);
    return { bytes, how: 'schema id overwritten' };
  }
  if (mode === 1) {
    view.setUint16(0, 1, true);
    return { bytes, how: 'root block length set to 1' };
  }
  if (templateId === TRADES_TEMPLATE) view.setUint32(groupAt + 2, 0x7fffffff, true);
  else view.setUint16(groupAt + 2, 0xffff, true);
  return { bytes, how: 'group count set beyond the frame' };
}
