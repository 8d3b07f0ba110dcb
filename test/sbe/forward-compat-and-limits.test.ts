/**
 * Forward compatibility (longer blocks, newer versions, unknown templates) and every bound the
 * decoders enforce, each with the typed error and the offending value it reports.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Field,
  INPUT_CAPACITY,
  MAX_LEVELS_PER_SIDE,
  MAX_TRADES_PER_FRAME,
  Status,
  TemplateId,
} from '../../core/sbe/abi.ts';
import { field, messageAt } from '../../core/sbe/decoded-batch.ts';
import {
  encodeBestBidAsk,
  encodeDepthDiff,
  encodeDepthSnapshot,
  encodeMessage,
  encodeTrades,
} from '../../core/sbe/encoder.ts';
import {
  BatchTooLargeError,
  BlockLengthTooShortError,
  FrameOutOfInputError,
  FrameTooLargeError,
  GroupSizeTooLargeError,
  InvalidEnumValueError,
  OutputFullError,
  SchemaMismatchError,
  UnsafeIntegerError,
} from '../../core/sbe/errors.ts';
import type { DepthDiffEvent, TradesEvent } from '../../core/sbe/messages.ts';
import { sbeMessage } from './arbitraries.ts';
import { bothDecoders, expectSameRecords } from './decoders.ts';

const trades: TradesEvent = {
  templateId: TemplateId.Trades,
  eventTimeUs: 1723161255342000,
  transactTimeUs: 1723161255341000,
  priceExponent: -8,
  qtyExponent: -8,
  trades: [{ id: 3735683259, priceMantissa: 6090123000000, qtyMantissa: 1250000, isBuyerMaker: false }],
  symbol: 'BTCUSDT',
};

function tradesWith(count: number): TradesEvent {
  return {
    ...trades,
    trades: Array.from({ length: count }, (_, i) => ({
      id: 1_000_000 + i,
      priceMantissa: 6_090_123_000_000,
      qtyMantissa: 1_250_000,
      isBuyerMaker: i % 2 === 0,
    })),
  };
}

function diffWith(levelsPerSide: number): DepthDiffEvent {
  const side = (base: number) =>
    Array.from({ length: levelsPerSide }, (_, i) => ({
      priceMantissa: base + i * 1_000_000,
      qtyMantissa: i,
    }));
  return {
    templateId: TemplateId.DepthDiff,
    eventTimeUs: 1723161255200000,
    firstBookUpdateId: 50093239208,
    lastBookUpdateId: 50093239224,
    priceExponent: -8,
    qtyExponent: -8,
    bids: side(6000000000000),
    asks: side(6100000000000),
    symbol: 'BTCUSDT',
  };
}

function view(frame: Uint8Array): DataView {
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
}

describe.each(bothDecoders())('$name decoder', ({ decoder }) => {
  describe('forward compatibility', () => {
    it('skips fields appended to the root block and to group entries by the wire block lengths', () => {
      fc.assert(
        fc.property(
          sbeMessage,
          fc.integer({ min: 0, max: 64 }),
          fc.integer({ min: 0, max: 64 }),
          (m, root, entry) => {
            // Appended fields hold 0xA5, not zeros, to prove they are skipped rather than parsed.
            const frame = encodeMessage(m, {
              rootExtraBytes: root,
              entryExtraBytes: entry,
              extraByteValue: 0xa5,
            });
            expect(decoder.decode(frame)).toEqual(m);
          },
        ),
        { numRuns: 500 },
      );
    });

    it('accepts a newer version of the stream schema', () => {
      expect(decoder.decode(encodeTrades(trades, { version: 3, rootExtraBytes: 8 }))).toEqual(trades);
    });

    it('rejects another schema id with the id it saw', () => {
      const error = (() => {
        try {
          decoder.decode(encodeTrades(trades, { schemaId: 3 }));
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(SchemaMismatchError);
      expect((error as SchemaMismatchError).detail).toBe(3);
    });

    it('skips and counts an unknown template, and decodes the frames around it', () => {
      const unknown = encodeTrades(trades);
      view(unknown).setUint16(2, 10099, true);
      const before = decoder.stats.unknownTemplates;
      const batch = decoder.decodeFrames([encodeTrades(trades), unknown, encodeTrades(trades)]);
      expect(field(batch, 1, 0)).toBe(Status.UnknownTemplate);
      expect(messageAt(batch, 1)).toBeNull();
      expect(messageAt(batch, 0)).toEqual(trades);
      expect(messageAt(batch, 2)).toEqual(trades);
      expect(decoder.stats.unknownTemplates - before).toBe(1);
    });
  });

  describe('bounds', () => {
    it(`decodes ${MAX_LEVELS_PER_SIDE} levels per side and refuses one more`, () => {
      expect(decoder.decode(encodeDepthDiff(diffWith(MAX_LEVELS_PER_SIDE)))).toEqual(
        diffWith(MAX_LEVELS_PER_SIDE),
      );
      expect(() => decoder.decode(encodeDepthDiff(diffWith(MAX_LEVELS_PER_SIDE + 1)))).toThrow(
        GroupSizeTooLargeError,
      );
    });

    it('refuses a hostile trade count before reading any entry', () => {
      const frame = encodeTrades(trades);
      view(frame).setUint32(8 + 18 + 2, 0x7fffffff, true);
      expect(() => decoder.decode(frame)).toThrow(GroupSizeTooLargeError);
      view(frame).setUint32(8 + 18 + 2, MAX_TRADES_PER_FRAME + 1, true);
      expect(() => decoder.decode(frame)).toThrow(GroupSizeTooLargeError);
    });

    it(`decodes a frame of ${MAX_TRADES_PER_FRAME} trades, the most that fit its input area, and refuses one more`, () => {
      const largest = encodeTrades(tradesWith(MAX_TRADES_PER_FRAME));
      expect(largest.length).toBeLessThanOrEqual(INPUT_CAPACITY);
      expect(decoder.decode(largest)).toEqual(tradesWith(MAX_TRADES_PER_FRAME));
      const frame = encodeTrades(tradesWith(1));
      view(frame).setUint32(8 + 18 + 2, MAX_TRADES_PER_FRAME + 1, true);
      expect(() => decoder.decode(frame)).toThrow(GroupSizeTooLargeError);
    });

    it('counts a schema-valid frame larger than its input area as a decode error, without throwing', () => {
      // 42,000 trades: 1,050,040 bytes, over the 1 MiB input area.
      const oversized = encodeTrades(tradesWith(42_000));
      expect(oversized.length).toBe(1_050_040);
      const before = decoder.stats.errorsByName.FrameTooLarge;
      const batch = decoder.decodeFrame(oversized);
      expect(field(batch, 0, Field.Status)).toBe(Status.FrameTooLarge);
      expect(field(batch, 0, Field.ErrorDetail)).toBe(1_050_040);
      expect(decoder.stats.errorsByName.FrameTooLarge).toBe(before + 1);
      expect(() => decoder.decode(oversized)).toThrow(FrameTooLargeError);
      // The decoder is unharmed: the next frame decodes.
      expect(decoder.decode(encodeTrades(trades))).toEqual(trades);
    });

    it('refuses an isBuyerMaker byte other than 0 or 1 (0xFF is SBE null), naming its offset', () => {
      for (const value of [2, 0xff]) {
        const frame = encodeTrades(tradesWith(2));
        const second = 8 + 18 + 6 + 25 + 24;
        view(frame).setUint8(second, value);
        expect(() => decoder.decode(frame)).toThrow(InvalidEnumValueError);
        expect(field(decoder.decodeFrames([frame]), 0, Field.ErrorDetail)).toBe(second);
      }
    });

    it('refuses root and entry block lengths shorter than the schema', () => {
      const root = encodeTrades(trades);
      view(root).setUint16(0, 17, true);
      expect(() => decoder.decode(root)).toThrow(BlockLengthTooShortError);
      const entry = encodeTrades(trades);
      view(entry).setUint16(8 + 18, 24, true);
      expect(() => decoder.decode(entry)).toThrow(BlockLengthTooShortError);
      const { firstBookUpdateId: _, lastBookUpdateId: bookUpdateId, templateId: __, ...rest } = diffWith(2);
      const level = encodeDepthSnapshot({ ...rest, bookUpdateId });
      view(level).setUint16(8 + 18, 15, true);
      expect(() => decoder.decode(level)).toThrow(BlockLengthTooShortError);
    });

    it('refuses int64 values a JS number cannot hold, naming their byte offset', () => {
      const bba = {
        templateId: TemplateId.BestBidAsk,
        eventTimeUs: 1,
        bookUpdateId: 2,
        priceExponent: -8,
        qtyExponent: -8,
        bidPriceMantissa: 3,
        bidQtyMantissa: 4,
        askPriceMantissa: 5,
        askQtyMantissa: 6,
        symbol: 'BTCUSDT',
      } as const;
      const limit = 2n ** 53n;
      for (const [offset, value, safe] of [
        [8, limit - 1n, true],
        [8, limit, false],
        [16, -(limit - 1n), true],
        [16, -limit, false],
        [26, 2n ** 63n - 1n, false],
        [50, -(2n ** 63n), false],
      ] as const) {
        const frame = encodeBestBidAsk(bba);
        view(frame).setBigInt64(offset, value, true);
        if (safe) {
          expect(decoder.decode(frame)).toMatchObject({ templateId: TemplateId.BestBidAsk });
          const batch = decoder.decodeFrames([frame]);
          expect(BigInt(field(batch, 0, offset === 8 ? 4 : 6))).toBe(value);
        } else {
          expect(() => decoder.decode(frame)).toThrow(UnsafeIntegerError);
          expect(field(decoder.decodeFrames([frame]), 0, 19)).toBe(offset);
        }
      }
    });

    it('refuses a batch larger than its input area, and frames outside the bytes given', () => {
      expect(() => decoder.decodeBatch(new Uint8Array(INPUT_CAPACITY + 1), [0], [8])).toThrow(
        BatchTooLargeError,
      );
      const frame = encodeTrades(trades);
      const batch = decoder.decodeBatch(frame, [0, 4], [frame.length, frame.length]);
      expect(messageAt(batch, 0)).toEqual(trades);
      expect(() => messageAt(batch, 1)).toThrow(FrameOutOfInputError);
    });

    it('stops at its output capacity when a caller points many records at one large frame', () => {
      const frame = encodeDepthDiff(diffWith(MAX_LEVELS_PER_SIDE));
      const repeats = 8; // 10,000 levels each against a capacity of 65,536
      const batch = decoder.decodeBatch(
        frame,
        new Array(repeats).fill(0),
        new Array(repeats).fill(frame.length),
      );
      expect(batch.ok).toBe(6);
      expect(() => messageAt(batch, 6)).toThrow(OutputFullError);
    });
  });
});

describe('WASM and TypeScript decoders agree on every bound', () => {
  it('give the same records for the edge frames above', () => {
    const [wasm, ts] = bothDecoders();
    const hostile = encodeTrades(trades);
    view(hostile).setUint32(8 + 18 + 2, 0x7fffffff, true);
    const frames = [
      encodeDepthDiff(diffWith(MAX_LEVELS_PER_SIDE + 1)),
      hostile,
      encodeTrades(trades, { version: 9 }),
    ];
    expectSameRecords(wasm.decoder.decodeFrames(frames), ts.decoder.decodeFrames(frames));
  });
});
