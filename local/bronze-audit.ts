/**
 * What bronze holds at the end of a session, checked the way the gap detector checks it: every
 * trade id the REST aggTrades cover must be in the archived trade stream or in the back-fill.
 * The count of ids still missing is the run summary's "no trade-id gap in bronze" figure. And the
 * feature parity of what inference served with a replay of bronze.
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
  return {
    missingIds: check.gaps.reduce((n, g) => n + g.toId - g.fromId + 1, 0),
    checkedThrough: check.checkedThrough ?? null,
    streamedTrades,
    backfilledTrades,
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
  const { tape } = await readBronzeTape(reader, symbol, decoder);
  const offline = replayTape(tape, { tickUs: GRID_US }).vectors;
  return compareWithReplay(await readServedVectors(reader, symbol), offline);
}
