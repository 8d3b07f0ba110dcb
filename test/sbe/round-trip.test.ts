import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageAt } from '../../core/sbe/decoded-batch.ts';
import { encodeBestBidAsk, encodeMessage } from '../../core/sbe/encoder.ts';
import { bestBidAskEvent, sbeMessage } from './arbitraries.ts';
import { bothDecoders, expectSameRecords } from './decoders.ts';

/** Lays frames end to end in one buffer, as a Kinesis record carries them. */
function pack(frames: Uint8Array[], leading = 0) {
  const total = frames.reduce((n, f) => n + f.length, leading);
  const bytes = new Uint8Array(total);
  const offsets: number[] = [];
  const lengths: number[] = [];
  let at = leading;
  for (const f of frames) {
    bytes.set(f, at);
    offsets.push(at);
    lengths.push(f.length);
    at += f.length;
  }
  return { bytes, offsets, lengths };
}

describe.each(bothDecoders())('$name decoder: encoder round trip', ({ decoder }) => {
  it('decodes every template back to exactly the fields encoded', () => {
    fc.assert(
      fc.property(sbeMessage, (message) => {
        expect(decoder.decode(encodeMessage(message))).toEqual(message);
      }),
      { numRuns: 1500 },
    );
  });

  it('decodes a packed batch of mixed templates record by record', () => {
    fc.assert(
      fc.property(fc.array(sbeMessage, { minLength: 1, maxLength: 40 }), fc.nat(64), (messages, leading) => {
        const { bytes, offsets, lengths } = pack(
          messages.map((m) => encodeMessage(m)),
          leading,
        );
        const batch = decoder.decodeBatch(bytes, offsets, lengths);
        expect(batch.count).toBe(messages.length);
        expect(batch.ok).toBe(messages.length);
        messages.forEach((m, i) => {
          expect(messageAt(batch, i)).toEqual(m);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('reads a Node Buffer that starts inside a larger pooled ArrayBuffer', () => {
    fc.assert(
      fc.property(bestBidAskEvent, (message) => {
        const frame = encodeBestBidAsk(message);
        const pooled = Buffer.from(frame); // small Buffers share one pool: byteOffset is rarely 0
        const batch = decoder.decodeBatch(pooled, [0], [pooled.length]);
        expect(messageAt(batch, 0)).toEqual(message);
      }),
      { numRuns: 50 },
    );
  });

  it('encodes a BTCUSDT bestBidAsk in 66 bytes, as Binance does', () => {
    const frame = encodeBestBidAsk({
      eventTimeUs: 1773305079016056,
      bookUpdateId: 89969613074,
      priceExponent: -8,
      qtyExponent: -8,
      bidPriceMantissa: 6976988000000,
      bidQtyMantissa: 1301000,
      askPriceMantissa: 6976989000000,
      askQtyMantissa: 286360000,
      symbol: 'BTCUSDT',
    });
    expect(frame.length).toBe(8 + 50 + 1 + 7);
  });
});

describe('WASM and TypeScript decoders', () => {
  it('fill identical records for the same valid batch', () => {
    const [wasm, ts] = bothDecoders();
    fc.assert(
      fc.property(fc.array(sbeMessage, { minLength: 1, maxLength: 30 }), (messages) => {
        const { bytes, offsets, lengths } = pack(messages.map((m) => encodeMessage(m)));
        const a = wasm.decoder.decodeBatch(bytes, offsets, lengths);
        const b = ts.decoder.decodeBatch(bytes, offsets, lengths);
        expectSameRecords(a, b);
      }),
      { numRuns: 200 },
    );
  });
});
