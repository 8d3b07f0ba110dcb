/** The pure gap logic: id intervals, trade-id gaps, minute volumes, resume points, bronze keys. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bronzeKey, checkpointKey, parseBronzeKey } from '../../core/bronze/bronze-keys.ts';
import { resumePoint } from '../../core/bronze/resume-point.ts';
import { IdIntervals } from '../../core/gaps/id-intervals.ts';
import { type AggRef, findTradeIdGaps } from '../../core/gaps/trade-id-gaps.ts';
import { compareMinuteVolumes } from '../../core/gaps/volume-check.ts';

describe('id intervals', () => {
  it('agree with a plain set on what is missing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 10 }))),
        (adds) => {
          const set = new Set<number>();
          const intervals = new IdIntervals();
          for (const [from, len] of adds) {
            intervals.add(from, from + len);
            for (let i = from; i <= from + len; i++) set.add(i);
          }
          const missing = intervals
            .missingIn(0, 220)
            .flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
          expect(missing).toEqual(Array.from({ length: 221 }, (_, i) => i).filter((i) => !set.has(i)));
        },
      ),
    );
  });
});

describe('trade-id gaps', () => {
  const aggs: AggRef[] = [
    [1, 100, 102, 1000],
    [2, 103, 103, 1001],
    [3, 104, 108, 1002],
    [4, 109, 110, 1003],
  ];
  it('reports REST-covered ids the stream lacks, up to where both sides have got', () => {
    const streamed = new IdIntervals([
      [100, 102],
      [105, 106],
      [109, 109],
    ]);
    const check = findTradeIdGaps(aggs, streamed, undefined, 100);
    expect(check.checkedThrough).toBe(109);
    expect(check.gaps).toEqual([
      { fromId: 103, toId: 104, fromTimeMs: 1001, toTimeMs: 1002, fromAggId: 2, toAggId: 3 },
      { fromId: 107, toId: 108, fromTimeMs: 1002, toTimeMs: 1002, fromAggId: 3, toAggId: 3 },
    ]);
    // Nothing before the stream's first id, nothing twice.
    expect(findTradeIdGaps(aggs, streamed, 109, 100).gaps).toEqual([]);
    expect(findTradeIdGaps(aggs, new IdIntervals([[105, 110]]), undefined, 105).gaps).toEqual([]);
  });
});

describe('volume per minute', () => {
  it('compares only minutes the stream covers whole, exactly by default', () => {
    const klines = new Map([
      [0, 10],
      [60_000, 20],
      [120_000, 30],
    ]);
    const streamed = new Map([
      [60_000, 19],
      [120_000, 30],
    ]);
    const check = compareMinuteVolumes(klines, streamed, 60_000, 180_000);
    expect(check.compared).toEqual([60_000, 120_000]);
    expect(check.mismatches).toEqual([
      { openTimeMs: 60_000, restVolumeMantissa: 20, streamVolumeMantissa: 19 },
    ]);
    expect(compareMinuteVolumes(klines, streamed, 60_000, 180_000, 0.1).mismatches).toEqual([]);
  });
});

describe('bronze keys and resume points', () => {
  it('partition by the UTC hour of the first line and name objects by their ids', () => {
    const key = bronzeKey('rest/aggTrades', 'BTCUSDT', Date.UTC(2024, 7, 9, 1, 2, 3), 10, 20);
    expect(key).toBe('bronze/rest/aggTrades/symbol=BTCUSDT/dt=2024-08-09/hour=01/10-20.ndjson.gz');
    expect(parseBronzeKey(key)).toEqual({
      dataset: 'rest/aggTrades',
      symbol: 'BTCUSDT',
      day: '2024-08-09',
      hour: 1,
      first: '10',
      last: '20',
    });
    const stream = bronzeKey('stream/trade', 'BTCUSDT', 0, 'shardId-000000000000_4959', '4960');
    expect(parseBronzeKey(stream)?.first).toBe('shardId-000000000000_4959');
    expect(checkpointKey('rest-poller', 'aggTrades', 'BTCUSDT')).toBe(
      'checkpoints/rest-poller/aggTrades/symbol=BTCUSDT.json',
    );
  });

  it('adopt objects that continue the checkpoint exactly, else resume at the checkpoint', () => {
    const k = (a: number, b: number) => bronzeKey('rest/aggTrades', 'S', 0, a, b);
    const keys = [k(1, 10), k(11, 20), k(21, 25), k(40, 50)];
    expect(resumePoint(keys, 11, 1)).toEqual({ nextId: 26, adoptedKey: k(21, 25), adopted: 2 });
    expect(resumePoint(keys, 26, 1)).toEqual({ nextId: 26, adopted: 0 });
    expect(resumePoint(keys, undefined, 1)).toEqual({ nextId: 51, adoptedKey: k(40, 50), adopted: 1 });
  });
});
