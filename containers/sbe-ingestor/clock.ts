/** Wall-clock time with microsecond resolution; injected so tests and replays can steer it. */
export interface Clock {
  nowMs(): number;
  nowUs(): number;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  // timeOrigin + now() keeps sub-millisecond precision that Date.now() lacks.
  nowUs: () => Math.floor((performance.timeOrigin + performance.now()) * 1000),
};
