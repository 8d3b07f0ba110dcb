/**
 * fast-check generators of SBE stream messages: mostly realistic BTCUSDT values (µs times around
 * 2024-2027, update ids ~1e11, prices on a 0.01 tick at exponent -8), with the full safe-integer
 * range and odd exponents and symbols mixed in so edges are exercised too.
 */
import fc from 'fast-check';
import { TemplateId } from '../../core/sbe/abi.ts';
import type {
  BestBidAskEvent,
  DepthDiffEvent,
  DepthSnapshotEvent,
  PriceLevel,
  SbeMessage,
  TradesEvent,
} from '../../core/sbe/messages.ts';

const anySafe = fc.maxSafeInteger();
const eventTimeUs = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 1_700_000_000_000_000, max: 1_800_000_000_000_000 }) },
  { weight: 1, arbitrary: anySafe },
);
const updateId = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 1, max: 1_000_000_000_000 }) },
  { weight: 1, arbitrary: anySafe },
);
/** $10k-$200k on the 0.01 tick at exponent -8. */
const priceMantissa = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 1_000_000, max: 20_000_000 }).map((ticks) => ticks * 1_000_000) },
  { weight: 1, arbitrary: anySafe },
);
/** 0 (remove the level) to 1000 BTC at 1e-8 steps. */
const qtyMantissa = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 7, arbitrary: fc.integer({ min: 1, max: 100_000_000_000 }) },
  { weight: 1, arbitrary: anySafe },
);
const exponent = fc.oneof(
  { weight: 9, arbitrary: fc.constant(-8) },
  { weight: 1, arbitrary: fc.integer({ min: -128, max: 127 }) },
);
const symbol = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('BTCUSDT', 'ETHUSDT', 'BTCFDUSD') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
);

export const priceLevel: fc.Arbitrary<PriceLevel> = fc.record({ priceMantissa, qtyMantissa });
/** ~46 levels on average in real diffs, with a tail; kept moderate so properties run fast. */
const levels = fc.array(priceLevel, { maxLength: 120 });

export const tradesEvent: fc.Arbitrary<TradesEvent> = fc.record({
  templateId: fc.constant(TemplateId.Trades),
  eventTimeUs,
  transactTimeUs: eventTimeUs,
  priceExponent: exponent,
  qtyExponent: exponent,
  trades: fc.array(fc.record({ id: updateId, priceMantissa, qtyMantissa, isBuyerMaker: fc.boolean() }), {
    minLength: 1,
    maxLength: 30,
  }),
  symbol,
});

export const bestBidAskEvent: fc.Arbitrary<BestBidAskEvent> = fc.record({
  templateId: fc.constant(TemplateId.BestBidAsk),
  eventTimeUs,
  bookUpdateId: updateId,
  priceExponent: exponent,
  qtyExponent: exponent,
  bidPriceMantissa: priceMantissa,
  bidQtyMantissa: qtyMantissa,
  askPriceMantissa: priceMantissa,
  askQtyMantissa: qtyMantissa,
  symbol,
});

export const depthSnapshotEvent: fc.Arbitrary<DepthSnapshotEvent> = fc.record({
  templateId: fc.constant(TemplateId.DepthSnapshot),
  eventTimeUs,
  bookUpdateId: updateId,
  priceExponent: exponent,
  qtyExponent: exponent,
  bids: fc.array(priceLevel, { maxLength: 20 }),
  asks: fc.array(priceLevel, { maxLength: 20 }),
  symbol,
});

export const depthDiffEvent: fc.Arbitrary<DepthDiffEvent> = fc.record({
  templateId: fc.constant(TemplateId.DepthDiff),
  eventTimeUs,
  firstBookUpdateId: updateId,
  lastBookUpdateId: updateId,
  priceExponent: exponent,
  qtyExponent: exponent,
  bids: levels,
  asks: levels,
  symbol,
});

export const sbeMessage: fc.Arbitrary<SbeMessage> = fc.oneof(
  tradesEvent,
  bestBidAskEvent,
  depthSnapshotEvent,
  depthDiffEvent,
);
