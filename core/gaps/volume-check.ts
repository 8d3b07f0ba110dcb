/**
 * Volume consistency per minute between the streamed trades and REST's 1m klines. Both come from
 * the same matching engine and both are summed here as exact integer mantissas, so they agree
 * exactly unless trades are missing: the default tolerance is 0. A relative tolerance can be set
 * for venues whose klines round. Only minutes the stream fully covers are compared. Pure.
 */

export interface VolumeMismatch {
  openTimeMs: number;
  restVolumeMantissa: number;
  streamVolumeMantissa: number;
}

export interface VolumeCheck {
  mismatches: VolumeMismatch[];
  /** Minutes compared (matching or not): the caller forgets them. */
  compared: number[];
}

const MINUTE_MS = 60_000;

/**
 * `klines` and `streamed` map minute open times (ms) to volume mantissas. A minute is compared when
 * the stream covers it whole: it starts at or after `streamFromMs` and ends before `streamToMs`.
 */
export function compareMinuteVolumes(
  klines: ReadonlyMap<number, number>,
  streamed: ReadonlyMap<number, number>,
  streamFromMs: number,
  streamToMs: number,
  tolerance = 0,
): VolumeCheck {
  const mismatches: VolumeMismatch[] = [];
  const compared: number[] = [];
  for (const [openTimeMs, rest] of [...klines].sort((x, y) => x[0] - y[0])) {
    if (openTimeMs < streamFromMs || openTimeMs + MINUTE_MS > streamToMs) continue;
    compared.push(openTimeMs);
    const stream = streamed.get(openTimeMs) ?? 0;
    if (Math.abs(rest - stream) > tolerance * Math.max(rest, stream)) {
      mismatches.push({ openTimeMs, restVolumeMantissa: rest, streamVolumeMantissa: stream });
    }
  }
  return { mismatches, compared };
}
