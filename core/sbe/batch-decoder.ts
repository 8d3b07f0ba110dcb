/**
 * What every SBE decoder offers, whatever decodes underneath (WASM or TypeScript):
 * - decodeBatch: frames already laid out in one buffer (a Kinesis record), decoded into preallocated
 *   records with no allocation per message; the result is valid until the next call;
 * - decodeFrames: separate frames, packed into the decoder's own input area first;
 * - decodeFrame: one frame into record 0, allocation-free; a frame longer than the input area is a
 *   failed record (FrameTooLarge), counted like any other bad frame, never a throw;
 * - decode: one frame into a message object, throwing a typed error.
 * Frames that fail are counted in `stats` and never stop the rest of a batch.
 */
import { Field, FRAME_CAPACITY, INPUT_CAPACITY, Status } from './abi.ts';
import { DecodeStats } from './decode-stats.ts';
import { type DecodedBatch, messageAt } from './decoded-batch.ts';
import { BatchTooLargeError } from './errors.ts';
import type { SbeMessage } from './messages.ts';

export abstract class SbeBatchDecoder {
  readonly stats = new DecodeStats();

  /** Offsets and lengths of the frames to decode, capacity FRAME_CAPACITY. */
  protected abstract readonly frameOffsets: Uint32Array;
  protected abstract readonly frameLengths: Uint32Array;
  /** Where decodeFrames packs separate frames, capacity INPUT_CAPACITY. */
  protected abstract readonly packArea: Uint8Array;

  /** Decodes frames [0, count) of frameOffsets/frameLengths, laid out in `bytes`. */
  protected abstract run(bytes: Uint8Array, count: number): DecodedBatch;

  decodeBatch(
    bytes: Uint8Array,
    offsets: ArrayLike<number>,
    lengths: ArrayLike<number>,
    count = offsets.length,
  ): DecodedBatch {
    if (bytes.length > INPUT_CAPACITY) throw new BatchTooLargeError('bytes', bytes.length, INPUT_CAPACITY);
    if (count > FRAME_CAPACITY) throw new BatchTooLargeError('frames', count, FRAME_CAPACITY);
    for (let i = 0; i < count; i++) {
      this.frameOffsets[i] = offsets[i] as number;
      this.frameLengths[i] = lengths[i] as number;
    }
    return this.recorded(this.run(bytes, count));
  }

  decodeFrames(frames: readonly Uint8Array[]): DecodedBatch {
    if (frames.length > FRAME_CAPACITY) throw new BatchTooLargeError('frames', frames.length, FRAME_CAPACITY);
    let offset = 0;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i] as Uint8Array;
      if (offset + frame.length > INPUT_CAPACITY) {
        throw new BatchTooLargeError('bytes', offset + frame.length, INPUT_CAPACITY);
      }
      this.packArea.set(frame, offset);
      this.frameOffsets[i] = offset;
      this.frameLengths[i] = frame.length;
      offset += frame.length;
    }
    return this.recorded(this.run(this.packArea, frames.length));
  }

  /** One frame into record 0, without allocating: the ingestor's per-frame header path. */
  decodeFrame(frame: Uint8Array): DecodedBatch {
    if (frame.length > INPUT_CAPACITY) {
      // Decode an empty frame (it fails), then say why it really failed: one code path for the record.
      this.frameOffsets[0] = 0;
      this.frameLengths[0] = 0;
      const batch = this.run(this.packArea, 1);
      batch.messages[Field.Status] = Status.FrameTooLarge;
      batch.messages[Field.ErrorDetail] = frame.length;
      return this.recorded(batch);
    }
    this.packArea.set(frame, 0);
    this.frameOffsets[0] = 0;
    this.frameLengths[0] = frame.length;
    return this.recorded(this.run(this.packArea, 1));
  }

  /** One frame as a message object; null for an unknown template (counted, skipped by design). */
  decode(frame: Uint8Array): SbeMessage | null {
    return messageAt(this.decodeFrame(frame), 0);
  }

  private recorded(batch: DecodedBatch): DecodedBatch {
    this.stats.record(batch);
    return batch;
  }
}
