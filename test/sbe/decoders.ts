/** Both decoders, built once per test file, and the comparison that says they agree. */
import { expect } from 'vitest';
import { Field, LEVEL_STRIDE, MESSAGE_STRIDE, Status, TemplateId, TRADE_STRIDE } from '../../core/sbe/abi.ts';
import { DataViewSbeDecoder } from '../../core/sbe/dataview-decoder.ts';
import type { DecodedBatch } from '../../core/sbe/decoded-batch.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';

export function bothDecoders() {
  return [
    { name: 'wasm', decoder: new WasmSbeDecoder() },
    { name: 'dataview', decoder: new DataViewSbeDecoder() },
  ] as const;
}

const HEADER_FIELDS = [Field.Status, Field.TemplateId, Field.SchemaId, Field.Version, Field.ErrorDetail];

/** Record i of both batches is the same: every field and entry when Ok, the header and error otherwise. */
export function expectSameRecords(a: DecodedBatch, b: DecodedBatch): void {
  expect(a.count).toBe(b.count);
  expect(a.ok).toBe(b.ok);
  for (let i = 0; i < a.count; i++) {
    const base = i * MESSAGE_STRIDE;
    const ra = Array.from(a.messages.subarray(base, base + MESSAGE_STRIDE));
    const rb = Array.from(b.messages.subarray(base, base + MESSAGE_STRIDE));
    if (ra[Field.Status] !== Status.Ok) {
      expect(
        HEADER_FIELDS.map((f) => ra[f]),
        `record ${i}`,
      ).toEqual(HEADER_FIELDS.map((f) => rb[f]));
      continue;
    }
    expect(ra, `record ${i}`).toEqual(rb);
    const start = ra[Field.EntryStart] as number;
    const isTrades = ra[Field.TemplateId] === TemplateId.Trades;
    const entries = (ra[Field.BidCount] as number) + (isTrades ? 0 : (ra[Field.AskCount] as number));
    const [stride, xa, xb] = isTrades
      ? [TRADE_STRIDE, a.trades, b.trades]
      : [LEVEL_STRIDE, a.levels, b.levels];
    expect(Array.from(xa.subarray(start * stride, (start + entries) * stride))).toEqual(
      Array.from(xb.subarray(start * stride, (start + entries) * stride)),
    );
    const symbolA = a.bytes.subarray(
      ra[Field.SymbolOffset],
      (ra[Field.SymbolOffset] as number) + (ra[Field.SymbolLength] as number),
    );
    const symbolB = b.bytes.subarray(
      rb[Field.SymbolOffset],
      (rb[Field.SymbolOffset] as number) + (rb[Field.SymbolLength] as number),
    );
    expect(Buffer.from(symbolA).equals(Buffer.from(symbolB))).toBe(true);
  }
}
