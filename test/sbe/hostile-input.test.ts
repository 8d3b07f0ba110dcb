/**
 * Whatever arrives on the socket, the decoders never crash, never hang, never read past a frame, and
 * always answer with a valid decode or a typed error; the WASM and TypeScript decoders give the same
 * answer byte for byte, so the fallback is a true equivalent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Field, MESSAGE_STRIDE, Status } from '../../core/sbe/abi.ts';
import { messageAt } from '../../core/sbe/decoded-batch.ts';
import { encodeMessage } from '../../core/sbe/encoder.ts';
import { BufferTooShortError, SbeDecodeError } from '../../core/sbe/errors.ts';
import { sbeMessage } from './arbitraries.ts';
import { bothDecoders, expectSameRecords } from './decoders.ts';

const [wasm, ts] = bothDecoders();
const KNOWN_STATUSES = new Set<number>(Object.values(Status));

/** A frame with a plausible header for the stream schema and an arbitrary body. */
const headerShapedFrame = fc
  .record({
    blockLength: fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 0xffff })),
    templateId: fc.constantFrom(10000, 10001, 10002, 10003, 9999, 0xffff),
    version: fc.constantFrom(0, 1, 0xffff),
    body: fc.uint8Array({ maxLength: 400 }),
  })
  .map(({ blockLength, templateId, version, body }) => {
    const frame = new Uint8Array(8 + body.length);
    const view = new DataView(frame.buffer);
    view.setUint16(0, blockLength, true);
    view.setUint16(2, templateId, true);
    view.setUint16(4, 1, true);
    view.setUint16(6, version, true);
    frame.set(body, 8);
    return frame;
  });

/** A valid frame with some bytes overwritten. */
const mutatedFrame = fc
  .tuple(
    sbeMessage,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
  )
  .map(([message, edits]) => {
    const frame = encodeMessage(message);
    for (const [at, byte] of edits) frame[at % frame.length] = byte;
    return frame;
  });

function expectSafeAndAgreed(frames: Uint8Array[]): void {
  const a = wasm.decoder.decodeFrames(frames);
  for (let i = 0; i < a.count; i++) {
    expect(KNOWN_STATUSES.has(a.messages[i * MESSAGE_STRIDE + Field.Status] as number)).toBe(true);
    try {
      messageAt(a, i);
    } catch (e) {
      expect(e).toBeInstanceOf(SbeDecodeError);
    }
  }
  expectSameRecords(a, ts.decoder.decodeFrames(frames));
}

describe('hostile input', () => {
  it('random bytes yield a typed error or a valid decode, the same from both decoders', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 20 }),
        expectSafeAndAgreed,
      ),
      { numRuns: 500 },
    );
  });

  it('frames with a stream-schema header and a random body are handled the same way', () => {
    fc.assert(
      fc.property(fc.array(headerShapedFrame, { minLength: 1, maxLength: 20 }), expectSafeAndAgreed),
      {
        numRuns: 1000,
      },
    );
  });

  it('mutated valid frames are handled the same way', () => {
    fc.assert(fc.property(fc.array(mutatedFrame, { minLength: 1, maxLength: 20 }), expectSafeAndAgreed), {
      numRuns: 1000,
    });
  });

  it.each([wasm, ts])('$name: every strict prefix of a valid frame is BufferTooShort', ({ decoder }) => {
    fc.assert(
      fc.property(sbeMessage, fc.nat(), (message, cut) => {
        const frame = encodeMessage(message);
        const prefix = frame.subarray(0, cut % frame.length);
        expect(() => decoder.decode(prefix)).toThrow(BufferTooShortError);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([wasm, ts])('$name: a bad frame in a batch is counted and loses nothing else', ({ decoder }) => {
    fc.assert(
      fc.property(
        fc.array(sbeMessage, { minLength: 1, maxLength: 10 }),
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 7 }), { minLength: 1, maxLength: 5 }),
        (messages, garbage) => {
          // Frames shorter than a header are always errors: interleave them with the valid ones.
          const frames = messages.flatMap((m, i) => [
            encodeMessage(m),
            garbage[i % garbage.length] as Uint8Array,
          ]);
          const errorsBefore = decoder.stats.errorsByName.BufferTooShort;
          const batch = decoder.decodeFrames(frames);
          expect(batch.ok).toBe(messages.length);
          messages.forEach((m, i) => {
            expect(messageAt(batch, 2 * i)).toEqual(m);
            expect(() => messageAt(batch, 2 * i + 1)).toThrow(BufferTooShortError);
          });
          expect(decoder.stats.errorsByName.BufferTooShort - errorsBefore).toBe(messages.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});
