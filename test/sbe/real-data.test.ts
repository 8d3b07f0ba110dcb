/**
 * Real Binance values through encoder and WASM decoder: the 201 BestBidAsk events decoded by a
 * third-party SBE client, and every message of the 2024-08-08/09 BTCUSDT recording. Needs
 * ../shared/data (present in CI); skipped with the reason printed otherwise.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatDecimal } from '../../core/binance/decimal.ts';
import { type JsonStreamMessage, jsonToSbe } from '../../core/binance/json-stream.ts';
import { TemplateId } from '../../core/sbe/abi.ts';
import { messageAt } from '../../core/sbe/decoded-batch.ts';
import { encodeBestBidAsk, encodeMessage } from '../../core/sbe/encoder.ts';
import type { SbeMessage } from '../../core/sbe/messages.ts';
import { readRecording } from '../../lambdas/shared/history/history-files.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { hasSharedData, RECORDING_2024, sharedDataPath } from '../support/shared-data.ts';

const BBA_LOG = 'sbe/decoded_sbe_bestBidAsk_btcusdt_2026-03-12T0844Z.ndjson';

interface LoggedBestBidAsk {
  event_time_us: number;
  book_update_id: number;
  symbol: string;
  bid_price: string;
  bid_qty: string;
  ask_price: string;
  ask_qty: string;
  price_exponent: number;
  qty_exponent: number;
  bid_price_mantissa: number;
  bid_qty_mantissa: number;
  ask_price_mantissa: number;
  ask_qty_mantissa: number;
}

/** Binance prints "69769.88" where the mantissa gives "69769.88000000". */
const trimmed = (decimal: string) => decimal.replace(/\.?0+$/, '');

describe.skipIf(!hasSharedData('real BestBidAsk events', BBA_LOG))('201 real BestBidAsk events', () => {
  const events = readFileSync(sharedDataPath(BBA_LOG), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LoggedBestBidAsk);

  it('encode to 66-byte frames and decode back exactly, in batch and one by one', () => {
    expect(events).toHaveLength(201);
    const messages = events.map((e) => ({
      templateId: TemplateId.BestBidAsk,
      eventTimeUs: e.event_time_us,
      bookUpdateId: e.book_update_id,
      priceExponent: e.price_exponent,
      qtyExponent: e.qty_exponent,
      bidPriceMantissa: e.bid_price_mantissa,
      bidQtyMantissa: e.bid_qty_mantissa,
      askPriceMantissa: e.ask_price_mantissa,
      askQtyMantissa: e.ask_qty_mantissa,
      symbol: e.symbol,
    }));
    const frames = messages.map((m) => encodeBestBidAsk(m));
    expect(new Set(frames.map((f) => f.length))).toEqual(new Set([66]));
    const decoder = new WasmSbeDecoder();
    const batch = decoder.decodeFrames(frames);
    expect(batch.ok).toBe(201);
    messages.forEach((m, i) => {
      const decoded = messageAt(batch, i);
      expect(decoded).toEqual(m);
      expect(decoder.decode(frames[i] as Uint8Array)).toEqual(m);
    });
  });

  it('carry mantissas that print as the decimals the SBE client logged', () => {
    for (const e of events) {
      expect(trimmed(formatDecimal(e.bid_price_mantissa, e.price_exponent))).toBe(trimmed(e.bid_price));
      expect(trimmed(formatDecimal(e.ask_qty_mantissa, e.qty_exponent))).toBe(trimmed(e.ask_qty));
    }
  });
});

describe.skipIf(!hasSharedData('2024 recording to SBE', ...RECORDING_2024))(
  'the 2024-08-08/09 recording',
  () => {
    it('converts every depth diff, trade and bookTicker to SBE and decodes it back equal', async () => {
      const decoder = new WasmSbeDecoder();
      const counts = { [TemplateId.DepthDiff]: 0, [TemplateId.Trades]: 0, [TemplateId.BestBidAsk]: 0 };
      let pending: SbeMessage[] = [];
      let lastExchangeTimeUs = 0;
      const check = () => {
        const batch = decoder.decodeFrames(pending.map((m) => encodeMessage(m)));
        expect(batch.ok).toBe(pending.length);
        pending.forEach((m, i) => {
          expect(messageAt(batch, i)).toEqual(m);
        });
        pending = [];
      };
      for (const file of RECORDING_2024) {
        for await (const line of readRecording(sharedDataPath(file))) {
          if (line.stream === 'rest:depth') continue;
          const message = jsonToSbe(line.payload as JsonStreamMessage, lastExchangeTimeUs);
          lastExchangeTimeUs = message.eventTimeUs;
          counts[message.templateId as keyof typeof counts]++;
          pending.push(message);
          if (pending.length === 2000) check();
        }
      }
      check();
      // The recording's README: 6,495 diffs, 19,904 trades, 73,174 bookTicker over the two files.
      expect(counts).toEqual({
        [TemplateId.DepthDiff]: 6495,
        [TemplateId.Trades]: 19904,
        [TemplateId.BestBidAsk]: 73174,
      });
      expect(decoder.stats.errors).toBe(0);
    }, 120_000);
  },
);
