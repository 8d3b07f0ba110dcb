/**
 * What bronze holds at the end of a session, checked the way the gap detector checks it: every
 * trade id the REST aggTrades cover must be in the archived trade stream or in the back-fill.
 * The count of ids still missing is the run summary's "no trade-id gap in bronze" figure, with its
 * coverage: the ids REST let it check out of the ids the stream spanned (0 gaps means none only when
 * that is all of them). And the feature parity of what inference served with a replay of bronze.
 */
import { datasetPrefix } from '../core/bronze/bronze-keys.ts';
import type { AggTradeLine, StreamFrameLine } from '../core/bronze/bronze-lines.ts';
import type { BronzeReader } from '../core/bronze/bronze-store.ts';
import { GRID_US } from '../core/features/feature-state.ts';
import { IdIntervals } from '../core/gaps/id-intervals.ts';
import { type AggRef, findTradeIdGaps } from '../core/gaps/trade-id-gaps.ts';
import { compareWithReplay, type ParityReport } from '../core/model/feature-parity.ts';
import { replayTape } from '../core/model/feature-replay.ts';
import { TemplateId } from '../core/sbe/abi.ts';
import type { SbeBatchDecoder } from '../core/sbe/batch-decoder.ts';
import { readBronzeTape, readServedVectors } from '../lambdas/shared/bronze/read-bronze-tape.ts';

export interface TradeIdAudit {
  /** Trade ids REST covers (up to the newest both sides reached) that bronze lacks. */
  missingIds: number;
  /** The highest trade id the audit could decide. */
  checkedThrough: number | null;
  /**
   * Trade ids seen from the stream's first to its newest: held by the stream or the back-fill, or
   * covered by REST (an id neither ever had was seen by nobody). What the session must hold.
   */
  idsSeen: number;
  /** Of those, the ids REST aggTrades cover up to the newest both sides reached: what was checked. */
  idsChecked: number;
  streamedTrades: number;
  backfilledTrades: number;
}

export async function auditTradeIds(reader: BronzeReader, symbol: string): Promise<TradeIdAudit> {
  const held = new IdIntervals();
  let streamStartId: number | undefined;
  let streamedTrades = 0;
  for (const key of await reader.list(datasetPrefix('stream/trade', symbol))) {
    for (const line of await reader.read<StreamFrameLine>(key)) {
      if (line.templateId !== TemplateId.Trades || line.firstId === null) continue;
      held.add(line.firstId, line.lastId);
      streamedTrades += line.lastId - line.firstId + 1;
      streamStartId = Math.min(streamStartId ?? line.firstId, line.firstId);
    }
  }
  let backfilledTrades = 0;
  for (const key of await reader.list(datasetPrefix('rest/aggTrades_backfill', symbol))) {
    for (const agg of await reader.read<AggTradeLine>(key)) {
      held.add(agg.f, agg.l);
      backfilledTrades += agg.l - agg.f + 1;
    }
  }
  const aggs: AggRef[] = [];
  for (const key of await reader.list(datasetPrefix('rest/aggTrades', symbol))) {
    for (const agg of await reader.read<AggTradeLine>(key)) aggs.push([agg.a, agg.f, agg.l, agg.T]);
  }
  const check = findTradeIdGaps(aggs, held, undefined, streamStartId);
  const streamMax = held.max;
  // Ids seen: those the stream (or the back-fill) holds or REST covers, from the stream's first to its
  // newest. An id neither side ever had (a hole in a recording) was seen by nobody.
  let idsSeen = 0;
  if (streamStartId !== undefined && streamMax !== undefined) {
    const seen = new IdIntervals(held.toJSON());
    for (const [, f, l] of aggs) {
      const from = Math.max(f, streamStartId);
      const to = Math.min(l, streamMax);
      if (from <= to) seen.add(from, to);
    }
    const unseen = seen.missingIn(streamStartId, streamMax).reduce((n, [a, b]) => n + b - a + 1, 0);
    idsSeen = streamMax - streamStartId + 1 - unseen;
  }
  let idsChecked = 0;
  if (streamStartId !== undefined && check.checkedThrough !== undefined) {
    const through = check.checkedThrough;
    // Aggregates cover disjoint trade-id ranges: sum their overlap with the decided span.
    for (const [, f, l] of aggs)
      idsChecked += Math.max(0, Math.min(l, through) - Math.max(f, streamStartId) + 1);
  }
  return {
    missingIds: check.gaps.reduce((n, g) => n + g.toId - g.fromId + 1, 0),
    checkedThrough: check.checkedThrough ?? null,
    idsSeen,
    idsChecked,
    streamedTrades,
    backfilledTrades,
  };
}

/** The summary's figure: the missing ids if any; 0 only for a fully checked range; else null. */
export function tradeIdGapFigure(audit: TradeIdAudit): number | null {
  if (audit.missingIds > 0) return audit.missingIds;
  return audit.idsSeen > 0 && audit.idsChecked === audit.idsSeen ? 0 : null;
}

export function tradeIdCoverage(audit: TradeIdAudit): {
  checked: number;
  seen: number;
  ratio: number | null;
} {
  return {
    checked: audit.idsChecked,
    seen: audit.idsSeen,
    ratio: audit.idsSeen > 0 ? Math.round((audit.idsChecked / audit.idsSeen) * 10_000) / 10_000 : null,
  };
}

/**
 * Feature parity over the session: every vector inference served (bronze `features/served`)
 * against a replay of the session's bronze market data on the 100 ms grid.
 */
export async function auditFeatureParity(
  reader: BronzeReader,
  symbol: string,
  decoder: SbeBatchDecoder,
): Promise<ParityReport> {
  // Anchored only where the live book was: a poller's snapshot inside a stale spell would let the
  // replay resume (and feed its windows) before the re-anchor let the live book.
  const { tape } = await readBronzeTape(reader, symbol, decoder, { snapshots: 'reanchor' });
  const offline = replayTape(tape, { tickUs: GRID_US });
  return compareWithReplay(await readServedVectors(reader, symbol), offline.vectors, offline);
}
