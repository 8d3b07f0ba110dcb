/**
 * The daily completeness ledger (`ledger/completeness`): per day and stream, the messages archived,
 * the gaps with cause and duration, the re-anchors and the ages of the book's snapshot when the
 * detector looked. Accumulated run after run by the gap detector; pure.
 */
import type { LedgerGap, LedgerLine } from '../bronze/bronze-lines.ts';
import { STREAM_KINDS, type StreamKind } from '../market/streams.ts';

/** The ledger keeps a line per stream family (core/market/streams.ts). */
export const LEDGER_STREAMS = STREAM_KINDS;
export type LedgerStream = StreamKind;

/** day → stream → line */
export type Ledgers = Record<string, Record<string, LedgerLine>>;

export function ledgerLine(ledgers: Ledgers, day: string, stream: LedgerStream): LedgerLine {
  let byStream = ledgers[day];
  if (!byStream) {
    byStream = {};
    ledgers[day] = byStream;
  }
  let line = byStream[stream];
  if (!line) {
    line = { day, stream, messages: 0, gaps: [], reanchors: 0, snapshotAgesMs: [] };
    byStream[stream] = line;
  }
  return line;
}

/** Every stream's line of the day, in a fixed order (streams without data have zeros). */
export function dayLines(ledgers: Ledgers, day: string): LedgerLine[] {
  return LEDGER_STREAMS.map((s) => ledgerLine(ledgers, day, s));
}

export function addGap(ledgers: Ledgers, day: string, stream: LedgerStream, gap: LedgerGap): void {
  ledgerLine(ledgers, day, stream).gaps.push(gap);
}

/** Keeps the newest `keep` days. */
export function pruneLedgers(ledgers: Ledgers, keep: number): void {
  const days = Object.keys(ledgers).sort();
  for (const day of days.slice(0, Math.max(0, days.length - keep))) delete ledgers[day];
}
