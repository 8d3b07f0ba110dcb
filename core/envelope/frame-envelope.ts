/**
 * The Kinesis record envelope: many SBE frames per record, each with the time it was received,
 * exactly as received (Kinesis allows 1,000 records/s per shard and Binance bursts past that).
 *
 * Layout v1, little-endian:
 *   0  u8   version (1)
 *   1  u8   flags (0; readers reject unknown flags)
 *   2  u16  reserved (0)
 *   4  u32  frameCount
 *   8  frameCount x { f64 receiveTimeUs | u32 length | length bytes of SBE }
 * receiveTimeUs is an integer below 2^53, so float64 holds it exactly.
 *
 * readEnvelope fills offsets and lengths that point into the record itself, ready for
 * SbeBatchDecoder.decodeBatch without copying a frame.
 */
import { FRAME_CAPACITY } from '../sbe/abi.ts';

export const ENVELOPE_VERSION = 1;
export const ENVELOPE_HEADER_BYTES = 8;
export const FRAME_HEADER_BYTES = 12;
/** Kinesis caps data plus partition key at 1 MiB; 256 bytes is the longest partition key. */
export const MAX_RECORD_BYTES = (1 << 20) - 256;

export class EnvelopeFormatError extends Error {
  override readonly name = 'EnvelopeFormatError';
  readonly retryable = false;
  constructor(reason: string) {
    super(`The Kinesis record is not a frame envelope: ${reason}.`);
  }
}

/** Accumulates frames into one record; reuse it with reset() after finish(). */
export class EnvelopeBuilder {
  private buffer: Uint8Array;
  private view: DataView;
  private length = ENVELOPE_HEADER_BYTES;
  private count = 0;

  constructor(
    private readonly maxBytes = MAX_RECORD_BYTES,
    initialBytes = 64 * 1024,
  ) {
    this.buffer = new Uint8Array(Math.min(initialBytes, maxBytes));
    this.view = new DataView(this.buffer.buffer);
  }

  get frameCount(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.length;
  }

  /** Bytes a frame of `frameLength` would add. */
  static costOf(frameLength: number): number {
    return FRAME_HEADER_BYTES + frameLength;
  }

  /** Adds the frame, or returns false when it would not fit this record (seal and start another). */
  tryAdd(frame: Uint8Array, receiveTimeUs: number): boolean {
    const needed = this.length + FRAME_HEADER_BYTES + frame.length;
    if (needed > this.maxBytes || this.count >= FRAME_CAPACITY) return false;
    if (needed > this.buffer.length) this.grow(needed);
    this.view.setFloat64(this.length, receiveTimeUs, true);
    this.view.setUint32(this.length + 8, frame.length, true);
    this.buffer.set(frame, this.length + FRAME_HEADER_BYTES);
    this.length = needed;
    this.count++;
    return true;
  }

  /** A copy of the record built so far. */
  finish(): Uint8Array {
    this.view.setUint8(0, ENVELOPE_VERSION);
    this.view.setUint8(1, 0);
    this.view.setUint16(2, 0, true);
    this.view.setUint32(4, this.count, true);
    return this.buffer.slice(0, this.length);
  }

  reset(): void {
    this.length = ENVELOPE_HEADER_BYTES;
    this.count = 0;
  }

  private grow(needed: number): void {
    const next = new Uint8Array(Math.min(this.maxBytes, Math.max(needed, this.buffer.length * 2)));
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }
}

/** Where readEnvelope writes; allocate once (capacity FRAME_CAPACITY) and reuse. */
export interface EnvelopeFrames {
  offsets: Uint32Array;
  lengths: Uint32Array;
  receiveTimesUs: Float64Array;
}

export function allocateEnvelopeFrames(capacity = FRAME_CAPACITY): EnvelopeFrames {
  return {
    offsets: new Uint32Array(capacity),
    lengths: new Uint32Array(capacity),
    receiveTimesUs: new Float64Array(capacity),
  };
}

/** Fills `out` with the record's frames and returns their count; throws EnvelopeFormatError. */
export function readEnvelope(record: Uint8Array, out: EnvelopeFrames): number {
  if (record.length < ENVELOPE_HEADER_BYTES)
    throw new EnvelopeFormatError(`${record.length} bytes is too short`);
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const version = view.getUint8(0);
  if (version !== ENVELOPE_VERSION)
    throw new EnvelopeFormatError(`version ${version} is not ${ENVELOPE_VERSION}`);
  if (view.getUint8(1) !== 0) throw new EnvelopeFormatError(`flags ${view.getUint8(1)} are unknown`);
  const count = view.getUint32(4, true);
  if (count > out.offsets.length)
    throw new EnvelopeFormatError(`${count} frames exceed ${out.offsets.length}`);
  let at = ENVELOPE_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + FRAME_HEADER_BYTES > record.length)
      throw new EnvelopeFormatError(`frame ${i} header is cut off`);
    const length = view.getUint32(at + 8, true);
    if (at + FRAME_HEADER_BYTES + length > record.length)
      throw new EnvelopeFormatError(`frame ${i} is cut off`);
    out.receiveTimesUs[i] = view.getFloat64(at, true);
    out.offsets[i] = at + FRAME_HEADER_BYTES;
    out.lengths[i] = length;
    at += FRAME_HEADER_BYTES + length;
  }
  if (at !== record.length)
    throw new EnvelopeFormatError(`${record.length - at} bytes follow the last frame`);
  return count;
}
