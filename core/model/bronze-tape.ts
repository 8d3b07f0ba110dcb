/**
 * The bronze layer as a tape for FeatureReplay (core/model/feature-replay.ts): the raw-stream archive's
 * depth diffs and trades (`stream/depth`, `stream/trade`: the exact SBE frames the pipeline received,
 * decoded with the same decoder and converted as the aggregator converts them) and the REST depth
 * snapshots (`rest/depth`, written by the poller and by the re-anchor for every book it anchors on).
 *
 * Order: diffs at their event time, trades at their trade time (as TradeWindows keys them), stable
 * by receive time. A snapshot has no exchange time; it takes effect where the pipeline used it: after
 * the diff the re-anchor's book went live at (`anchoredThroughId`: the Kinesis path lags the socket,
 * so diffs received before the snapshot can still have been on their way), else after the last diff
 * received before it. A replay that is out of sync there (no book yet, or a gap) syncs it with the
 * diffs buffered since, as the re-anchor syncs it with the diff log.
 * depth20 and bestBidAsk frames are not part of the features (ADR 0030). Pure.
 */
import { parseDecimalMantissa } from '../binance/decimal.ts';
import { BINANCE_EXPONENT } from '../binance/json-stream.ts';
import type { Level } from '../book/order-book.ts';
import type { DepthLine, StreamFrameLine } from '../bronze/bronze-lines.ts';
import { mantissaToNumber } from '../features/book-top.ts';
import { Field, LEVEL_STRIDE, Status, TemplateId, TRADE_STRIDE } from '../sbe/abi.ts';
import type { SbeBatchDecoder } from '../sbe/batch-decoder.ts';
import { field, symbolAt } from '../sbe/decoded-batch.ts';
import type { TapeEvent } from './feature-replay.ts';

export interface BronzeTapeInput {
  symbol: string;
  /** `rest/depth` lines, any order. */
  snapshots: readonly DepthLine[];
  /** `stream/depth` and `stream/trade` lines, any order (other streams are skipped). */
  frames: readonly StreamFrameLine[];
}

export interface BronzeTape {
  tape: TapeEvent[];
  diffs: number;
  trades: number;
  snapshots: number;
  /** Archived frames that do not decode (they were received, and counted by the pipeline too). */
  undecodable: number;
}

type Timed = { event: TapeEvent & { timeUs: number }; recvTimeUs: number; seq: number };

const levels = (raw: readonly [string, string][]): Level[] =>
  raw.map(([p, q]) => [parseDecimalMantissa(p, BINANCE_EXPONENT), parseDecimalMantissa(q, BINANCE_EXPONENT)]);

export function tapeFromBronze(input: BronzeTapeInput, decoder: SbeBatchDecoder): BronzeTape {
  const timed: Timed[] = [];
  let undecodable = 0;
  let trades = 0;
  let diffs = 0;
  for (const line of input.frames) {
    if (line.templateId !== TemplateId.DepthDiff && line.templateId !== TemplateId.Trades) continue;
    const b = decoder.decodeFrame(Buffer.from(line.sbe, 'base64'));
    if (field(b, 0, Field.Status) !== Status.Ok) {
      undecodable++;
      continue;
    }
    if (symbolAt(b, 0) !== input.symbol) continue;
    const start = field(b, 0, Field.EntryStart);
    const priceExponent = field(b, 0, Field.PriceExponent);
    const qtyExponent = field(b, 0, Field.QtyExponent);
    const at = (event: Timed['event']) =>
      timed.push({ event, recvTimeUs: line.recvTimeUs, seq: timed.length });
    if (field(b, 0, Field.TemplateId) === TemplateId.DepthDiff) {
      const bidCount = field(b, 0, Field.BidCount);
      const askCount = field(b, 0, Field.AskCount);
      const level = (j: number): Level => [
        b.levels[j * LEVEL_STRIDE] as number,
        b.levels[j * LEVEL_STRIDE + 1] as number,
      ];
      at({
        kind: 'diff',
        timeUs: field(b, 0, Field.EventTimeUs),
        firstUpdateId: field(b, 0, Field.FirstUpdateId),
        lastUpdateId: field(b, 0, Field.LastUpdateId),
        bids: Array.from({ length: bidCount }, (_, j) => level(start + j)),
        asks: Array.from({ length: askCount }, (_, j) => level(start + bidCount + j)),
      });
      diffs++;
    } else {
      const timeUs = field(b, 0, Field.TransactTimeUs);
      for (let k = 0; k < field(b, 0, Field.BidCount); k++) {
        const t = (start + k) * TRADE_STRIDE;
        at({
          kind: 'trade',
          timeUs,
          trade: {
            id: b.trades[t] as number,
            timeUs,
            price: mantissaToNumber(b.trades[t + 1] as number, priceExponent),
            qty: mantissaToNumber(b.trades[t + 2] as number, qtyExponent),
            isBuyerMaker: b.trades[t + 3] !== 0,
          },
        });
        trades++;
      }
    }
  }
  timed.sort((a, b) => a.event.timeUs - b.event.timeUs || a.recvTimeUs - b.recvTimeUs || a.seq - b.seq);

  // Each snapshot goes after the last diff (in tape order) received no later than it: one sweep of
  // the diffs in receive order against the snapshots in receive order.
  const snapshots = [...input.snapshots].sort((a, b) => a.recvTimeUs - b.recvTimeUs);
  const byReceipt = timed.flatMap((t, i) => (t.event.kind === 'diff' ? [i] : []));
  byReceipt.sort((a, b) => (timed[a] as Timed).recvTimeUs - (timed[b] as Timed).recvTimeUs);
  // A snapshot the re-anchor anchored the live book on goes right after the diff it went live at.
  const diffAt = new Map<number, number>();
  timed.forEach((t, i) => {
    if (t.event.kind === 'diff') diffAt.set(t.event.lastUpdateId, i);
  });
  const after = new Map<number, TapeEvent[]>();
  let k = 0;
  let latest = -1;
  for (const s of snapshots) {
    for (; k < byReceipt.length && (timed[byReceipt[k] as number] as Timed).recvTimeUs <= s.recvTimeUs; k++)
      latest = Math.max(latest, byReceipt[k] as number);
    const at = (s.anchoredThroughId === undefined ? undefined : diffAt.get(s.anchoredThroughId)) ?? latest;
    const list = after.get(at) ?? [];
    list.push({ kind: 'snapshot', lastUpdateId: s.lastUpdateId, bids: levels(s.bids), asks: levels(s.asks) });
    after.set(at, list);
  }
  const tape: TapeEvent[] = [...(after.get(-1) ?? [])];
  timed.forEach((t, i) => {
    tape.push(t.event, ...(after.get(i) ?? []));
  });
  return { tape, diffs, trades, snapshots: snapshots.length, undecodable };
}
