/**
 * The raw-stream archive's lines (`stream/trade`, `stream/bestbidask`, `stream/depth`): each SBE frame
 * of a Kinesis record exactly as received, with the header fields a reader filters on. The ids are
 * taken from the decoded frame: depth diff U/u, depth20 and bestBidAsk bookUpdateId twice, trades the
 * first and last trade id. A frame that does not decode is archived too (it was received): its
 * template comes from the SBE header when there is one, its time is its receive time, its ids null.
 * Pure: the decoder comes in through the core interface.
 */
import { allocateEnvelopeFrames, readEnvelope } from '../envelope/frame-envelope.ts';
import { type StreamKind, streamKindOf } from '../market/streams.ts';
import { Field, Status, TemplateId, TRADE_STRIDE } from '../sbe/abi.ts';
import type { SbeBatchDecoder } from '../sbe/batch-decoder.ts';
import { field, symbolAt } from '../sbe/decoded-batch.ts';
import type { StreamFrameLine } from './bronze-lines.ts';

/** The family a frame is archived under (core/market/streams.ts). */
export type ArchivedStream = StreamKind;

export interface ArchivedFrame {
  stream: ArchivedStream | undefined;
  symbol: string | undefined;
  line: Omit<StreamFrameLine, 'firstId' | 'lastId'> & { firstId: number | null; lastId: number | null };
}

const toBase64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** The frames of one Kinesis record (a frame envelope) as archive lines; throws EnvelopeFormatError. */
export function archivedFrames(
  record: Uint8Array,
  decoder: SbeBatchDecoder,
  frames = allocateEnvelopeFrames(),
): ArchivedFrame[] {
  const count = readEnvelope(record, frames);
  const batch = decoder.decodeBatch(record, frames.offsets, frames.lengths, count);
  const out: ArchivedFrame[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const offset = frames.offsets[i] as number;
    const bytes = record.subarray(offset, offset + (frames.lengths[i] as number));
    const recvTimeUs = frames.receiveTimesUs[i] as number;
    const status = field(batch, i, Field.Status);
    if (status !== Status.Ok) {
      // The SBE message header: blockLength u16, templateId u16 (little-endian).
      const templateId = bytes.length >= 4 ? (bytes[2] as number) | ((bytes[3] as number) << 8) : 0;
      out[i] = {
        stream: streamKindOf(templateId),
        symbol: undefined,
        line: {
          recvTimeUs,
          templateId,
          eventTimeUs: recvTimeUs,
          firstId: null,
          lastId: null,
          sbe: toBase64(bytes),
        },
      };
      continue;
    }
    const templateId = field(batch, i, Field.TemplateId);
    let firstId: number;
    let lastId: number;
    if (templateId === TemplateId.Trades) {
      const start = field(batch, i, Field.EntryStart);
      const n = field(batch, i, Field.BidCount);
      firstId = n > 0 ? (batch.trades[start * TRADE_STRIDE] as number) : 0;
      lastId = n > 0 ? (batch.trades[(start + n - 1) * TRADE_STRIDE] as number) : 0;
    } else {
      firstId = field(batch, i, Field.FirstUpdateId);
      lastId = field(batch, i, Field.LastUpdateId);
    }
    out[i] = {
      stream: streamKindOf(templateId),
      symbol: symbolAt(batch, i),
      line: {
        recvTimeUs,
        templateId,
        eventTimeUs: field(batch, i, Field.EventTimeUs),
        firstId,
        lastId,
        sbe: toBase64(bytes),
      },
    };
  }
  return out;
}
