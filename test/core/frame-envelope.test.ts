import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocateEnvelopeFrames,
  ENVELOPE_HEADER_BYTES,
  EnvelopeBuilder,
  EnvelopeFormatError,
  readEnvelope,
} from '../../core/envelope/frame-envelope.ts';

const frames = fc.array(
  fc.record({
    bytes: fc.uint8Array({ maxLength: 600 }),
    receiveTimeUs: fc.integer({ min: 0, max: 2 ** 53 - 1 }),
  }),
  { maxLength: 200 },
);

describe('frame envelope', () => {
  it('carries frames and receive times exactly, with offsets pointing into the record', () => {
    const out = allocateEnvelopeFrames();
    fc.assert(
      fc.property(frames, (fs) => {
        const builder = new EnvelopeBuilder(1 << 20, 16);
        for (const f of fs) expect(builder.tryAdd(f.bytes, f.receiveTimeUs)).toBe(true);
        const record = builder.finish();
        expect(record.length).toBe(builder.byteLength);
        expect(readEnvelope(record, out)).toBe(fs.length);
        fs.forEach((f, i) => {
          expect(out.receiveTimesUs[i]).toBe(f.receiveTimeUs);
          const at = out.offsets[i] as number;
          expect(record.subarray(at, at + (out.lengths[i] as number))).toEqual(f.bytes);
        });
      }),
    );
  });

  it('refuses a frame that would take the record past its size limit', () => {
    const builder = new EnvelopeBuilder(ENVELOPE_HEADER_BYTES + 12 + 100);
    expect(builder.tryAdd(new Uint8Array(100), 1)).toBe(true);
    expect(builder.tryAdd(new Uint8Array(1), 2)).toBe(false);
    builder.reset();
    expect(builder.tryAdd(new Uint8Array(100), 3)).toBe(true);
    expect(builder.frameCount).toBe(1);
  });

  it('rejects truncated, padded and foreign records with a typed error', () => {
    const builder = new EnvelopeBuilder();
    builder.tryAdd(new Uint8Array([1, 2, 3]), 7);
    const record = builder.finish();
    const out = allocateEnvelopeFrames();
    for (const bad of [
      record.subarray(0, 4),
      record.subarray(0, record.length - 1),
      Uint8Array.from([...record, 0]),
      Uint8Array.from([2, ...record.subarray(1)]),
    ]) {
      expect(() => readEnvelope(bad, out)).toThrow(EnvelopeFormatError);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          readEnvelope(bytes, out);
        } catch (e) {
          expect(e).toBeInstanceOf(EnvelopeFormatError);
        }
      }),
    );
  });
});
