/** Cumulative decode counters: every frame is either decoded, skipped as unknown, or an error. */
import { Field, MESSAGE_STRIDE, Status } from './abi.ts';
import type { DecodedBatch } from './decoded-batch.ts';

export type DecodeErrorName = Exclude<keyof typeof Status, 'Ok' | 'UnknownTemplate'>;

const nameByStatus = new Map<number, DecodeErrorName>(
  (Object.entries(Status) as [keyof typeof Status, number][])
    .filter((entry): entry is [DecodeErrorName, number] => entry[1] < 0)
    .map(([name, code]) => [code, name]),
);

export class DecodeStats {
  frames = 0;
  decoded = 0;
  unknownTemplates = 0;
  errors = 0;
  readonly errorsByName: Record<DecodeErrorName, number> = {
    BufferTooShort: 0,
    SchemaMismatch: 0,
    GroupSizeTooLarge: 0,
    BlockLengthTooShort: 0,
    UnsafeInteger: 0,
    OutputFull: 0,
    FrameOutOfInput: 0,
    InvalidEnumValue: 0,
    FrameTooLarge: 0,
  };

  /** A frame refused before it reached the decoder (a WebSocket message beyond its size limit). */
  recordRefused(name: DecodeErrorName): void {
    this.frames++;
    this.errors++;
    this.errorsByName[name]++;
  }

  record(batch: DecodedBatch): void {
    this.frames += batch.count;
    this.decoded += batch.ok;
    if (batch.ok === batch.count) return;
    for (let i = 0; i < batch.count; i++) {
      const status = batch.messages[i * MESSAGE_STRIDE + Field.Status] as number;
      if (status === Status.UnknownTemplate) {
        this.unknownTemplates++;
      } else if (status < 0) {
        this.errors++;
        const name = nameByStatus.get(status);
        if (name) this.errorsByName[name]++;
      }
    }
  }
}
