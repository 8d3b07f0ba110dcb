/**
 * The run summary's trade-id figure says what it covered: "0 gaps" only when REST let the audit
 * check every id the stream spanned; a partly checked range reports its coverage and no 0.
 * Bronze in a local directory (the same layout as the bucket).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bronzeKey } from '../../core/bronze/bronze-keys.ts';
import type { AggTradeLine, StreamFrameLine } from '../../core/bronze/bronze-lines.ts';
import { TemplateId } from '../../core/sbe/abi.ts';
import { DirectoryBronzeReader } from '../../lambdas/shared/bronze/directory-bronze-reader.ts';
import { DirectoryBronzeWriter } from '../../lambdas/shared/bronze/directory-bronze-writer.ts';
import { auditTradeIds, tradeIdCoverage, tradeIdGapFigure } from '../../local/bronze-audit.ts';

const SYMBOL = 'BTCUSDT';
const T0 = Date.UTC(2026, 0, 5, 12);
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Stream frames of one trade each (ids `ids`), and REST aggregates of one trade each (ids `rest`). */
async function bronze(ids: number[], rest: number[]) {
  const dir = await mkdtemp(join(tmpdir(), 'audit-'));
  dirs.push(dir);
  const writer = new DirectoryBronzeWriter(dir);
  const frames: StreamFrameLine[] = ids.map((id) => ({
    recvTimeUs: T0 * 1000,
    templateId: TemplateId.Trades,
    eventTimeUs: T0 * 1000,
    firstId: id,
    lastId: id,
    sbe: '',
  }));
  await writer.write(bronzeKey('stream/trade', SYMBOL, T0, 1, 1), frames);
  const aggs: AggTradeLine[] = rest.map((id) => ({
    a: id,
    p: '1',
    q: '1',
    f: id,
    l: id,
    T: T0,
    m: false,
    M: true,
    recvTimeUs: T0 * 1000,
  }));
  if (aggs.length > 0)
    await writer.write(
      bronzeKey('rest/aggTrades', SYMBOL, T0, rest[0] as number, rest.at(-1) as number),
      aggs,
    );
  return new DirectoryBronzeReader(dir);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('trade-id audit coverage', () => {
  it('reports 0 only when REST covered every id the stream spanned', async () => {
    const audit = await auditTradeIds(await bronze(range(100, 199), range(90, 210)), SYMBOL);
    expect(tradeIdCoverage(audit)).toEqual({ checked: 100, seen: 100, ratio: 1 });
    expect(tradeIdGapFigure(audit)).toBe(0);
  });

  it('reports no 0 when REST reached only part of the stream, and says how much it checked', async () => {
    const audit = await auditTradeIds(await bronze(range(100, 199), range(90, 104)), SYMBOL);
    expect(tradeIdCoverage(audit)).toEqual({ checked: 5, seen: 100, ratio: 0.05 });
    expect(tradeIdGapFigure(audit)).toBeNull();
  });

  it('counts the ids missing in the checked part, whatever the coverage', async () => {
    const ids = range(100, 199).filter((id) => id !== 102 && id !== 103);
    const audit = await auditTradeIds(await bronze(ids, range(90, 150)), SYMBOL);
    expect(tradeIdGapFigure(audit)).toBe(2);
    expect(tradeIdCoverage(audit)).toMatchObject({ checked: 51, seen: 100 });
  });

  it('does not count as seen an id neither the stream nor REST ever had (a hole in a recording)', async () => {
    const ids = range(100, 199).filter((id) => id !== 150);
    const audit = await auditTradeIds(await bronze(ids, [...range(90, 149), ...range(151, 210)]), SYMBOL);
    expect(tradeIdCoverage(audit)).toEqual({ checked: 99, seen: 99, ratio: 1 });
    expect(tradeIdGapFigure(audit)).toBe(0);
  });

  it('checked nothing: no REST at all', async () => {
    const audit = await auditTradeIds(await bronze(range(100, 199), []), SYMBOL);
    expect(tradeIdCoverage(audit)).toEqual({ checked: 0, seen: 100, ratio: 0 });
    expect(tradeIdGapFigure(audit)).toBeNull();
  });
});
