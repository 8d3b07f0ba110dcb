/**
 * Bronze as a replay tape: archived SBE frames decoded the way the aggregator decodes them, trades at
 * their trade time, and each REST snapshot where the pipeline could first have used it (after the
 * last diff received before it), whatever its update id says.
 */
import { describe, expect, it } from 'vitest';
import type { DepthLine, StreamFrameLine } from '../../core/bronze/bronze-lines.ts';
import { tapeFromBronze } from '../../core/model/bronze-tape.ts';
import { TemplateId } from '../../core/sbe/abi.ts';
import { encodeDepthDiff, encodeTrades } from '../../core/sbe/encoder.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';

const T0 = 1_723_161_255_000_000;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function diffLine(id: number, timeUs: number, recvTimeUs: number, symbol = 'BTCUSDT'): StreamFrameLine {
  const sbe = encodeDepthDiff({
    eventTimeUs: timeUs,
    firstBookUpdateId: id,
    lastBookUpdateId: id,
    priceExponent: -8,
    qtyExponent: -8,
    bids: [{ priceMantissa: 6_000_000_000_000, qtyMantissa: id }],
    asks: [],
    symbol,
  });
  return {
    recvTimeUs,
    templateId: TemplateId.DepthDiff,
    eventTimeUs: timeUs,
    firstId: id,
    lastId: id,
    sbe: b64(sbe),
  };
}

const snapshot = (lastUpdateId: number, recvTimeUs: number): DepthLine => ({
  lastUpdateId,
  bids: [['60000.00000000', '1.50000000']],
  asks: [['60000.01000000', '0.25000000']],
  recvTimeUs,
});

describe('tapeFromBronze', () => {
  it('orders by exchange time, places snapshots by receive time, and decodes trades per fill', () => {
    const trades = encodeTrades({
      eventTimeUs: T0 + 160_000,
      transactTimeUs: T0 + 150_000,
      priceExponent: -8,
      qtyExponent: -8,
      symbol: 'BTCUSDT',
      trades: [
        { id: 9, priceMantissa: 6_000_001_000_000, qtyMantissa: 12_345, isBuyerMaker: true },
        { id: 10, priceMantissa: 6_000_002_000_000, qtyMantissa: 1, isBuyerMaker: false },
      ],
    });
    const frames: StreamFrameLine[] = [
      diffLine(3, T0 + 300_000, 30),
      diffLine(1, T0 + 100_000, 10),
      diffLine(2, T0 + 200_000, 20),
      diffLine(99, T0 + 250_000, 25, 'ETHUSDT'), // another symbol's frame
      {
        recvTimeUs: 26,
        templateId: TemplateId.Trades,
        eventTimeUs: T0,
        firstId: 9,
        lastId: 10,
        sbe: b64(trades),
      },
      { ...diffLine(4, T0 + 400_000, 40), sbe: b64(new Uint8Array([1, 2, 3, 4, 5])) }, // corrupt
    ];
    // Received between diffs 1 and 2: it goes after diff 1 although its id (2) says it includes 2.
    const { tape, diffs, snapshots, undecodable } = tapeFromBronze(
      { symbol: 'BTCUSDT', snapshots: [snapshot(2, 15), snapshot(0, 5)], frames },
      new WasmSbeDecoder(),
    );
    expect({ diffs, snapshots, undecodable }).toEqual({ diffs: 3, snapshots: 2, undecodable: 1 });
    const shape = tape.map((e) =>
      e.kind === 'snapshot'
        ? `snapshot@${e.lastUpdateId}`
        : e.kind === 'diff'
          ? `diff@${e.lastUpdateId}`
          : e.kind === 'trade'
            ? `trade@${e.trade.id}`
            : `top@${e.updateId}`,
    );
    expect(shape).toEqual(['snapshot@0', 'diff@1', 'snapshot@2', 'trade@9', 'trade@10', 'diff@2', 'diff@3']);
    expect(tape[1]).toMatchObject({
      kind: 'diff',
      timeUs: T0 + 100_000,
      bids: [[6_000_000_000_000, 1]],
      asks: [],
    });
    expect(tape[2]).toMatchObject({
      bids: [[6_000_000_000_000, 150_000_000]],
      asks: [[6_000_001_000_000, 25_000_000]],
    });
    expect(tape[3]).toEqual({
      kind: 'trade',
      timeUs: T0 + 150_000,
      trade: { id: 9, timeUs: T0 + 150_000, price: 60000.01, qty: 0.00012345, isBuyerMaker: true },
    });
  });

  it('places a snapshot the re-anchor anchored on right after the diff its book went live at', () => {
    // Diffs 1-4 received at 10-40; the snapshot (id 1) received at 15, but the re-anchor synced it
    // with a diff log that already held 1-3 (the Kinesis path lags the socket): it went live at 3.
    const frames = [1, 2, 3, 4].map((id) => diffLine(id, T0 + id * 100_000, id * 10));
    const shapeOf = (s: DepthLine) =>
      tapeFromBronze({ symbol: 'BTCUSDT', snapshots: [s], frames }, new WasmSbeDecoder()).tape.map((e) =>
        e.kind === 'snapshot' ? 'snapshot' : `diff@${e.kind === 'diff' ? e.lastUpdateId : '?'}`,
      );
    expect(shapeOf({ ...snapshot(1, 15), anchoredThroughId: 3 })).toEqual([
      'diff@1',
      'diff@2',
      'diff@3',
      'snapshot',
      'diff@4',
    ]);
    // Without it (the poller's, or one that never went live): by receive time.
    expect(shapeOf(snapshot(1, 15))).toEqual(['diff@1', 'snapshot', 'diff@2', 'diff@3', 'diff@4']);
    // A diff the tape does not hold: by receive time too.
    expect(shapeOf({ ...snapshot(1, 15), anchoredThroughId: 9 })).toEqual([
      'diff@1',
      'snapshot',
      'diff@2',
      'diff@3',
      'diff@4',
    ]);
  });
});
