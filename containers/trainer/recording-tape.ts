/**
 * A Binance recording (`<local ts> <json>` lines, local/recordings/read-recording.ts) as a tape of
 * exchange-time events for FeatureReplay: depth diffs at their event time `E`, trades at their trade
 * time `T` (as the aggregator keys TradeWindows), decimals through the same mantissa conversion as the
 * SBE path. The file is in receive order; the tape is sorted by exchange time (stable). bookTicker is
 * not used: features follow the depth-diff book (ADR 0030). The first REST snapshot goes first: diffs
 * it already contains are then discarded as old, as Binance's sync procedure says.
 */
import { parseDecimalMantissa } from '../../core/binance/decimal.ts';
import { BINANCE_EXPONENT, type JsonDepthUpdate, type JsonTrade } from '../../core/binance/json-stream.ts';
import type { Level } from '../../core/book/order-book.ts';
import { mantissaToNumber } from '../../core/features/book-top.ts';
import type { TapeEvent } from '../../core/model/feature-replay.ts';
import { readRecording } from '../../local/recordings/read-recording.ts';

type RestDepth = { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };

const levels = (raw: [string, string][]): Level[] =>
  raw.map(([p, q]) => [parseDecimalMantissa(p, BINANCE_EXPONENT), parseDecimalMantissa(q, BINANCE_EXPONENT)]);

export async function readRecordingTape(paths: readonly string[]): Promise<TapeEvent[]> {
  let snapshot: TapeEvent | undefined;
  const timed: { e: TapeEvent & { timeUs: number }; seq: number }[] = [];
  for (const path of paths) {
    for await (const line of readRecording(path)) {
      if (line.stream === 'rest:depth') {
        if (snapshot) continue;
        const s = line.payload as RestDepth;
        snapshot = {
          kind: 'snapshot',
          lastUpdateId: s.lastUpdateId,
          bids: levels(s.bids),
          asks: levels(s.asks),
        };
      } else if (line.stream.includes('@depth')) {
        const d = line.payload as JsonDepthUpdate;
        timed.push({
          e: {
            kind: 'diff',
            timeUs: d.E * 1000,
            firstUpdateId: d.U,
            lastUpdateId: d.u,
            bids: levels(d.b),
            asks: levels(d.a),
          },
          seq: timed.length,
        });
      } else if (line.stream.endsWith('@trade')) {
        const t = line.payload as JsonTrade;
        timed.push({
          e: {
            kind: 'trade',
            timeUs: t.T * 1000,
            trade: {
              id: t.t,
              timeUs: t.T * 1000,
              price: mantissaToNumber(parseDecimalMantissa(t.p, BINANCE_EXPONENT), BINANCE_EXPONENT),
              qty: mantissaToNumber(parseDecimalMantissa(t.q, BINANCE_EXPONENT), BINANCE_EXPONENT),
              isBuyerMaker: t.m,
            },
          },
          seq: timed.length,
        });
      }
    }
  }
  timed.sort((a, b) => a.e.timeUs - b.e.timeUs || a.seq - b.seq);
  const tape: TapeEvent[] = snapshot ? [snapshot] : [];
  for (const t of timed) tape.push(t.e);
  return tape;
}
