/**
 * Seeded trades to go with a DepthFeed: 0-3 fills per 20 ms diff, just before it, at or near the
 * true best bid, either side, as SBE trade frames with contiguous trade ids.
 */
import { Rng } from '../../core/random/rng.ts';
import { encodeTrades } from '../../core/sbe/encoder.ts';
import type { DepthFeed, FeedDiff } from './depth-feed.ts';

export class TradeTape {
  private id = 7_000_000_000;
  private readonly rng: Rng;

  constructor(
    private readonly symbol: string,
    seed = 11,
  ) {
    this.rng = new Rng(seed);
  }

  private random(): number {
    return this.rng.next();
  }

  framesFor(diffs: readonly FeedDiff[], feed: DepthFeed): Uint8Array[] {
    const frames: Uint8Array[] = [];
    for (const d of diffs) {
      if (this.random() < 0.4) continue;
      const timeUs = d.eventTimeUs - 1000 - Math.floor(this.random() * 18) * 1000;
      const bestBid = feed.truth.bids.best() as number;
      const trades = Array.from({ length: 1 + Math.floor(this.random() * 3) }, () => ({
        id: this.id++,
        priceMantissa: bestBid + Math.floor(this.random() * 3) * 1_000_000,
        qtyMantissa: 1000 + Math.floor(this.random() * 5_000_000),
        isBuyerMaker: this.random() < 0.5,
      }));
      frames.push(
        encodeTrades({
          eventTimeUs: timeUs,
          transactTimeUs: timeUs,
          priceExponent: -8,
          qtyExponent: -8,
          symbol: this.symbol,
          trades,
        }),
      );
    }
    return frames;
  }
}
