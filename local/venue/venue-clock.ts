/**
 * The venue's market clock shared between threads. While the market runs at a fixed speed its clock
 * is a line in wall time (clock = intercept + wall × speed): the venue writes the intercept, and a
 * reader on another thread computes the clock from its own wall time, with no message and no torn
 * read (one 8-byte value). Once the clock stops moving ('max' paces by the data; an ended or
 * stopped market) the venue writes the value itself and sets the frozen flag.
 */
import type { Speed } from './market-pump.ts';

export interface VenueClockShare {
  /** Float64 [intercept µs, frozen clock µs, frozen flag]. */
  buffer: SharedArrayBuffer;
  speed: Speed;
}

const wallUs = () => (performance.timeOrigin + performance.now()) * 1000;

export function createVenueClock(speed: Speed): VenueClockShare {
  return { buffer: new SharedArrayBuffer(3 * Float64Array.BYTES_PER_ELEMENT), speed };
}

export function writeVenueClock(share: VenueClockShare, clockUs: number, frozen: boolean): void {
  const view = new Float64Array(share.buffer);
  if (frozen || share.speed === 'max') {
    view[1] = clockUs;
    view[2] = 1;
  } else {
    view[0] = clockUs - wallUs() * share.speed;
    view[2] = 0;
  }
}

/** The venue's market clock now (µs), as the venue's own thread would read it. */
export function readVenueClock(share: VenueClockShare): number {
  const view = new Float64Array(share.buffer);
  if (view[2] === 1 || share.speed === 'max') return view[1] as number;
  return (view[0] as number) + wallUs() * (share.speed as number);
}
