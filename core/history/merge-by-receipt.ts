/**
 * Several record streams, each in receive order, as one, merged by receive time (`recvUs`; ties to
 * the earlier stream), a batch at a time: the files of a session split across files, tardis.dev's book
 * and trades files of one period, bronze's depth, trade and snapshot datasets. Reads ahead one batch
 * per stream, so memory is the streams' batches, not their length. Pure.
 */
import type { HistoryRecord } from './history-record.ts';

/** Records per merged batch: large enough to amortise an asynchronous step, small in memory. */
const MERGED_BATCH = 4096;

export async function* mergeByReceipt(
  sources: readonly AsyncIterator<HistoryRecord[]>[],
): AsyncGenerator<HistoryRecord[]> {
  try {
    // Each stream's current batch and the position in it; an exhausted stream holds undefined.
    const batches: (HistoryRecord[] | undefined)[] = await Promise.all(sources.map(async (s) => nonEmpty(s)));
    const at = new Array<number>(sources.length).fill(0);
    let out: HistoryRecord[] = [];
    for (;;) {
      let best = -1;
      let bestUs = Number.POSITIVE_INFINITY;
      for (let i = 0; i < batches.length; i++) {
        const b = batches[i];
        if (b === undefined) continue;
        const us = (b[at[i] as number] as HistoryRecord).recvUs;
        if (best < 0 || us < bestUs) {
          best = i;
          bestUs = us;
        }
      }
      if (best < 0) break;
      const b = batches[best] as HistoryRecord[];
      out.push(b[at[best] as number] as HistoryRecord);
      at[best] = (at[best] as number) + 1;
      if ((at[best] as number) >= b.length) {
        if (out.length > 0) {
          yield out;
          out = [];
        }
        batches[best] = await nonEmpty(sources[best] as AsyncIterator<HistoryRecord[]>);
        at[best] = 0;
      } else if (out.length >= MERGED_BATCH) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.all(sources.map((s) => s.return?.(undefined)));
  }
}

/** The stream's next non-empty batch, or undefined at its end. */
async function nonEmpty(source: AsyncIterator<HistoryRecord[]>): Promise<HistoryRecord[] | undefined> {
  for (;;) {
    const next = await source.next();
    if (next.done) return undefined;
    if (next.value.length > 0) return next.value;
  }
}
