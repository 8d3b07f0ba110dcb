/**
 * Typed decode errors. A frame that fails to decode is counted and skipped by the batch API; the
 * single-frame API throws these. All are not retryable: the same bytes fail the same way.
 */
import { INPUT_CAPACITY, Status } from './abi.ts';

export abstract class SbeDecodeError extends Error {
  abstract readonly status: Status;
  /** The offending wire value (see Status in abi.ts). */
  readonly detail: number;
  readonly retryable = false;

  constructor(message: string, detail: number) {
    super(message);
    this.detail = detail;
  }
}

export class BufferTooShortError extends SbeDecodeError {
  override readonly name = 'BufferTooShortError';
  readonly status = Status.BufferTooShort;
  constructor(missingBytes: number) {
    super(`The SBE frame ends ${missingBytes} byte(s) before its declared content does.`, missingBytes);
  }
}

export class SchemaMismatchError extends SbeDecodeError {
  override readonly name = 'SchemaMismatchError';
  readonly status = Status.SchemaMismatch;
  constructor(schemaId: number) {
    super(
      `The SBE frame has schema id ${schemaId}, but only the stream schema (id 1) is understood.`,
      schemaId,
    );
  }
}

export class GroupSizeTooLargeError extends SbeDecodeError {
  override readonly name = 'GroupSizeTooLargeError';
  readonly status = Status.GroupSizeTooLarge;
  constructor(numInGroup: number) {
    super(`The SBE frame declares a group of ${numInGroup} entries, beyond the decoder's bound.`, numInGroup);
  }
}

export class BlockLengthTooShortError extends SbeDecodeError {
  override readonly name = 'BlockLengthTooShortError';
  readonly status = Status.BlockLengthTooShort;
  constructor(blockLength: number) {
    super(`The SBE frame declares a block length of ${blockLength}, shorter than the schema's.`, blockLength);
  }
}

export class UnsafeIntegerError extends SbeDecodeError {
  override readonly name = 'UnsafeIntegerError';
  readonly status = Status.UnsafeInteger;
  constructor(byteOffset: number) {
    super(
      `The int64 at byte ${byteOffset} of the SBE frame is beyond 2^53 and cannot be held exactly.`,
      byteOffset,
    );
  }
}

export class OutputFullError extends SbeDecodeError {
  override readonly name = 'OutputFullError';
  readonly status = Status.OutputFull;
  constructor() {
    super('The batch decoded more levels or trades than its output areas hold (overlapping frames?).', 0);
  }
}

export class FrameOutOfInputError extends SbeDecodeError {
  override readonly name = 'FrameOutOfInputError';
  readonly status = Status.FrameOutOfInput;
  constructor(offset: number) {
    super(`The frame at offset ${offset} extends beyond the batch's input bytes.`, offset);
  }
}

export class InvalidEnumValueError extends SbeDecodeError {
  override readonly name = 'InvalidEnumValueError';
  readonly status = Status.InvalidEnumValue;
  constructor(byteOffset: number) {
    super(
      `The byte at ${byteOffset} of the SBE frame is outside its enum (isBuyerMaker must be 0 or 1).`,
      byteOffset,
    );
  }
}

export class FrameTooLargeError extends SbeDecodeError {
  override readonly name = 'FrameTooLargeError';
  readonly status = Status.FrameTooLarge;
  constructor(length: number) {
    super(
      `The SBE frame is ${length} bytes, more than the decoder's input area of ${INPUT_CAPACITY}.`,
      length,
    );
  }
}

/** Thrown before decoding when a batch cannot fit the decoder's areas (a caller error). */
export class BatchTooLargeError extends Error {
  override readonly name = 'BatchTooLargeError';
  readonly retryable = false;
  constructor(what: string, size: number, capacity: number) {
    super(`The batch has ${size} ${what}, more than the decoder's capacity of ${capacity}.`);
  }
}

/** The typed error for a negative decode status, or undefined for Ok and UnknownTemplate. */
export function errorForStatus(status: number, detail: number): SbeDecodeError | undefined {
  switch (status) {
    case Status.BufferTooShort:
      return new BufferTooShortError(detail);
    case Status.SchemaMismatch:
      return new SchemaMismatchError(detail);
    case Status.GroupSizeTooLarge:
      return new GroupSizeTooLargeError(detail);
    case Status.BlockLengthTooShort:
      return new BlockLengthTooShortError(detail);
    case Status.UnsafeInteger:
      return new UnsafeIntegerError(detail);
    case Status.OutputFull:
      return new OutputFullError();
    case Status.FrameOutOfInput:
      return new FrameOutOfInputError(detail);
    case Status.InvalidEnumValue:
      return new InvalidEnumValueError(detail);
    case Status.FrameTooLarge:
      return new FrameTooLargeError(detail);
    default:
      return undefined;
  }
}
