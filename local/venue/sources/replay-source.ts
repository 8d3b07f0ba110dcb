/**
 * Replays history files through the venue (lambdas/shared/history: Binance combined-stream
 * recordings, `<timestamp> <json>` or `<json>` lines, gzip or plain, or tardis.dev CSV), several
 * files merged by receive time (a session split across files, or a book file and a trades file).
 * Each record becomes the events the exchange emitted:
 * - a depth diff → the truth block [U, u] and the same diff on the wire;
 * - a trade → a one-trade TradesEvent;
 * - a bookTicker → bestBidAsk; spot bookTicker has no event time, so it gets the exchange time
 *   estimated from the receive time and the last event that had one;
 * - a REST `/api/v3/depth` answer (or a tardis.dev snapshot) → the snapshot that seeds the truth.
 * A recording without a snapshot in its first lines (most stream captures) is anchored on its diff
 * stream alone: an empty `reconstructed` snapshot just before the first diff, the truth learning each
 * level as it changes (local/venue/ground-truth.ts, docs/adr/0090).
 * Pacing follows the receive timestamps (monotonic), shifted onto the exchange clock.
 */
import type { DiffRecord, HistoryRecord } from '../../../core/history/history-record.ts';
import type { PriceLevel } from '../../../core/sbe/messages.ts';
import { readHistoryFiles } from '../../../lambdas/shared/history/history-files.ts';
import { RecordingFormatError } from '../errors.ts';
import type { LevelChange, MarketBatch, MarketEvent, MarketSource } from '../market-events.ts';
import { Side } from '../order-book.ts';

export interface ReplaySourceOptions {
  /** One recording or a session split across files, replayed in order. */
  path: string | readonly string[];
  /** Symbol of the bare REST snapshot lines. @default the first symbol seen in the recording */
  snapshotSymbol?: string;
}

/** Records read ahead to learn the symbols, the clock offset and whether a snapshot comes. */
const PEEK_RECORDS = 2000;

const levels = (ls: readonly (readonly [number, number])[]): PriceLevel[] =>
  ls.map(([priceMantissa, qtyMantissa]) => ({ priceMantissa, qtyMantissa }));

/** Learns the symbols, the exchange-minus-receive clock offset and the first diff, if any snapshot. */
async function peek(
  paths: readonly string[],
): Promise<{ symbols: string[]; offsetUs: number; hasSnapshot: boolean; firstDiff?: DiffRecord }> {
  const symbols = new Set<string>();
  let offsetUs: number | undefined;
  let hasSnapshot = false;
  let firstDiff: DiffRecord | undefined;
  let n = 0;
  const records = readHistoryFiles(paths);
  try {
    for await (const r of records) {
      n++;
      if (r.kind === 'snapshot') hasSnapshot = true;
      else symbols.add(r.symbol.toUpperCase());
      if (r.kind === 'diff') {
        firstDiff ??= r;
        offsetUs ??= r.timeUs - r.recvUs;
      }
      if (r.kind === 'trade') offsetUs ??= r.eventTimeUs - r.recvUs;
      if (n >= PEEK_RECORDS || (hasSnapshot && symbols.size > 0 && offsetUs !== undefined && n >= 200)) break;
    }
  } finally {
    await records.return(undefined);
  }
  if (symbols.size === 0) throw new RecordingFormatError(paths[0] as string, n, 'no stream event found');
  return { symbols: [...symbols], offsetUs: offsetUs ?? 0, hasSnapshot, ...(firstDiff ? { firstDiff } : {}) };
}

export interface ReplaySource extends MarketSource {
  /** Lines and records read, events produced, and lines or records skipped (streams not served). */
  readonly counts: { lines: number; records: number; events: number; skipped: number };
}

export async function createReplaySource(o: ReplaySourceOptions): Promise<ReplaySource> {
  const paths = typeof o.path === 'string' ? [o.path] : [...o.path];
  if (paths.length === 0) throw new RecordingFormatError('(none)', 0, 'no recording given');
  const peeked = await peek(paths);
  const { symbols, offsetUs: firstOffsetUs } = peeked;
  const snapshotSymbol = (o.snapshotSymbol ?? (symbols[0] as string)).toUpperCase();
  const counts = { lines: 0, records: 0, events: 0, skipped: 0 };
  let closed = false;

  async function* batches(): AsyncGenerator<MarketBatch> {
    // The exchange clock runs ahead of the recorder's: estimate exchange time from receive time.
    let offsetUs = firstOffsetUs;
    let anchored = peeked.hasSnapshot;
    const records = readHistoryFiles(paths, counts);
    try {
      for await (const r of records) {
        if (closed) return;
        const events = toEvents(r, offsetUs);
        if (r.kind === 'diff') offsetUs = r.timeUs - r.recvUs;
        else if (r.kind === 'trade') offsetUs = r.eventTimeUs - r.recvUs;
        if (events.length === 0) {
          counts.skipped++;
          continue;
        }
        if (!anchored && r.kind === 'diff' && r.symbol.toUpperCase() === snapshotSymbol) {
          anchored = true;
          events.unshift({
            type: 'snapshot',
            symbol: snapshotSymbol,
            timeUs: r.timeUs,
            lastUpdateId: r.firstUpdateId - 1,
            bids: [],
            asks: [],
            reconstructed: true,
          });
        }
        counts.events += events.length;
        yield { paceUs: r.recvUs + firstOffsetUs, events };
      }
    } finally {
      await records.return(undefined);
    }
  }

  function toEvents(r: HistoryRecord, offsetUs: number): MarketEvent[] {
    const estimatedUs = r.recvUs + offsetUs;
    switch (r.kind) {
      case 'snapshot':
        return [
          {
            type: 'snapshot',
            symbol: r.symbol?.toUpperCase() ?? snapshotSymbol,
            timeUs: estimatedUs,
            lastUpdateId: r.lastUpdateId,
            bids: levels(r.bids),
            asks: levels(r.asks),
          },
        ];
      case 'diff': {
        const symbol = r.symbol.toUpperCase();
        const bids = levels(r.bids);
        const asks = levels(r.asks);
        const u = r.lastUpdateId;
        const changes: LevelChange[] = [];
        for (const l of bids) changes.push({ side: Side.Bid, ...l, updateId: u });
        for (const l of asks) changes.push({ side: Side.Ask, ...l, updateId: u });
        return [
          { type: 'bookChanges', symbol, timeUs: r.timeUs, firstUpdateId: r.firstUpdateId, changes },
          {
            type: 'depthDiff',
            symbol,
            eventTimeUs: r.timeUs,
            firstUpdateId: r.firstUpdateId,
            lastUpdateId: u,
            bids,
            asks,
          },
        ];
      }
      case 'trade':
        return [
          {
            type: 'trades',
            symbol: r.symbol.toUpperCase(),
            eventTimeUs: r.eventTimeUs,
            transactTimeUs: r.timeUs,
            trades: [
              {
                id: r.id,
                priceMantissa: r.priceMantissa,
                qtyMantissa: r.qtyMantissa,
                isBuyerMaker: r.isBuyerMaker,
              },
            ],
          },
        ];
      case 'top': {
        const bid = r.bids[0];
        const ask = r.asks[0];
        if (r.source !== 'bookTicker' || !bid || !ask) return []; // partial depth: not served
        return [
          {
            type: 'bestBidAsk',
            symbol: r.symbol.toUpperCase(),
            eventTimeUs: r.timeUs ?? estimatedUs,
            bookUpdateId: r.updateId,
            bidPriceMantissa: bid[0],
            bidQtyMantissa: bid[1],
            askPriceMantissa: ask[0],
            askQtyMantissa: ask[1],
          },
        ];
      }
    }
  }

  return {
    kind: 'replay',
    symbols,
    counts,
    batches,
    async close(): Promise<void> {
      closed = true;
    },
  };
}
