/**
 * The ingestor against the local venue (real WebSocket, real SBE, fault injection) and kinesalite:
 * every fault the venue injected is reported with the right reason, and what reaches Kinesis,
 * together with what the venue deliberately destroyed, tiles the exchange's id sequences exactly:
 * no hole, no overlap, nothing doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestorGapEvent, SbeIngestor } from '../../containers/sbe-ingestor/sbe-ingestor.ts';
import { streamKindOf } from '../../core/market/streams.ts';
import { TemplateId } from '../../core/sbe/abi.ts';
import { type KinesisEmulator, startKinesisEmulator } from '../../local/emulators/kinesis-emulator.ts';
import { type InjectedFault, startVenue, type Venue } from '../../local/venue/index.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { readStreamFrames } from '../support/kinesis-reader.ts';
import { hasSharedData, RECORDING_2024, sharedDataPath } from '../support/shared-data.ts';

type Range = [first: number, last: number];
type SequenceGap = Extract<IngestorGapEvent, { kind: 'sequence' }>;

let kinesis: KinesisEmulator;
let run = 0;
beforeAll(async () => {
  kinesis = await startKinesisEmulator();
});
afterAll(async () => {
  await kinesis.close();
});

async function runSession(venue: Venue) {
  run++;
  const streamNames = { trade: `v-trade-${run}`, bestbidask: `v-bba-${run}`, depth: `v-depth-${run}` };
  for (const s of Object.values(streamNames)) await kinesis.createStream(s);
  const gaps: IngestorGapEvent[] = [];
  const ingestor = new SbeIngestor({
    wsBaseUrl: venue.wsUrl,
    apiKey: 'k',
    symbols: ['BTCUSDT'],
    kinesis: kinesis.client,
    streamNames,
    onGap: (e) => gaps.push(e),
  });
  await ingestor.start();
  await venue.marketEnded;
  // Everything the venue sent has been received once the ingestor has seen as many frames.
  const sent = () => venue.stats().ws.framesSent;
  for (let i = 0; i < 500 && ingestor.decoder.stats.frames < sent(); i++)
    await new Promise((r) => setTimeout(r, 10));
  expect(ingestor.decoder.stats.frames).toBe(sent());
  expect(await ingestor.stop(10_000)).toBe(true);
  const decoder = new WasmSbeDecoder();
  const diffs: Range[] = [];
  const trades: Range[] = [];
  let bestBidAsk = 0;
  for (const [kind, name] of Object.entries(streamNames)) {
    for (const frame of await readStreamFrames(kinesis.client, name)) {
      const m = decoder.decode(frame.bytes);
      if (m?.templateId === TemplateId.DepthDiff) diffs.push([m.firstBookUpdateId, m.lastBookUpdateId]);
      else if (m?.templateId === TemplateId.Trades)
        trades.push([m.trades[0]?.id as number, m.trades.at(-1)?.id as number]);
      else if (m?.templateId === TemplateId.BestBidAsk) bestBidAsk++;
      expect(frame.partitionKey).toBe('BTCUSDT');
      // Each frame rides the stream of its own family (depth20 with the diffs it checks).
      expect(m && streamKindOf(m.templateId)).toBe(kind);
    }
  }
  return { ingestor, gaps, diffs, trades, bestBidAsk };
}

/** Sorted ranges cover [from, to] exactly once each: no hole, no overlap. */
function expectTiling(ranges: Range[], from: number, to: number): void {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  let next = from;
  for (const [first, last] of sorted) {
    expect(first, `range starting ${first} after ${next - 1}`).toBe(next);
    next = last + 1;
  }
  expect(next - 1).toBe(to);
}

const idsOf = (f: InjectedFault, ids: 'update' | 'trade'): Range =>
  ids === 'update'
    ? [f.firstUpdateId as number, f.lastUpdateId as number]
    : [f.firstTradeId as number, f.lastTradeId as number];

describe('ingestor against the local venue', () => {
  it('reports every injected fault by reason, and Kinesis holds each surviving frame exactly once', async () => {
    const venue = await startVenue({
      source: { kind: 'sim', seed: 7, speed: 'max', durationUs: 40_000_000 },
      startOn: 'first-subscription',
      faults:
        'drop-diff:every=97,dup-diff:every=131,reorder-diff:every=173,corrupt:every=211:stream=depth,' +
        'truncate:every=37:stream=trade,drop-trade:every=89,dup-trade:every=113',
    });
    try {
      const { ingestor, gaps, diffs, trades } = await runSession(venue);
      const faults = venue.injectedFaults;
      const of = (kind: string, stream: string) =>
        faults.filter((f) => f.kind === kind && f.stream === `btcusdt@${stream}`);
      const sequenceGaps = gaps.filter((g): g is SequenceGap => g.kind === 'sequence');
      const reported = (sequence: string, reason: string) =>
        sequenceGaps.filter((g) => g.sequence === sequence && g.reason === reason);

      expect(of('drop', 'depth').length).toBeGreaterThanOrEqual(8);
      expect(of('reorder', 'depth').length).toBeGreaterThanOrEqual(4);
      for (const [kind, stream] of [
        ['dup', 'depth'],
        ['corrupt', 'depth'],
        ['truncate', 'trade'],
        ['drop', 'trade'],
        ['dup', 'trade'],
      ]) {
        expect(of(kind as string, stream as string).length, `${kind} on ${stream}`).toBeGreaterThan(0);
      }

      // Every destroyed diff (dropped or corrupted) is inside a reported `missing` range.
      const destroyedDiffs = [...of('drop', 'depth'), ...of('corrupt', 'depth')].map((f) =>
        idsOf(f, 'update'),
      );
      const missing = reported('depth', 'missing').map((g) => [
        g.missingFrom as number,
        (g.missingFrom as number) + (g.missingCount as number) - 1,
      ]);
      for (const [first, last] of destroyedDiffs) {
        expect(missing.some(([a, b]) => (a as number) <= first && last <= (b as number))).toBe(true);
      }
      // Every duplicate is reported as such; every held-back frame of a reorder as reordered.
      expect(
        reported('depth', 'duplicate')
          .map((g) => g.firstId)
          .sort(),
      ).toEqual(
        of('dup', 'depth')
          .map((f) => f.firstUpdateId)
          .sort(),
      );
      expect(
        reported('depth', 'reordered')
          .map((g) => g.firstId)
          .sort(),
      ).toEqual(
        of('reorder', 'depth')
          .map((f) => f.firstUpdateId)
          .sort(),
      );
      expect(reported('trade', 'duplicate')).toHaveLength(of('dup', 'trade').length);
      // Corrupt and truncated frames are counted as decode errors, one each.
      expect(ingestor.decoder.stats.errors).toBe(
        of('corrupt', 'depth').length + of('truncate', 'trade').length,
      );

      // Kinesis plus what the venue destroyed tiles the venue's id sequences exactly.
      const truth = venue.stats().symbols.BTCUSDT;
      if (!truth) throw new Error('the venue keeps no truth for BTCUSDT');
      expectTiling(
        [...diffs, ...destroyedDiffs],
        diffs.reduce((m, r) => Math.min(m, r[0]), Infinity),
        truth.lastUpdateId,
      );
      const destroyedTrades = [...of('drop', 'trade'), ...of('truncate', 'trade')].map((f) =>
        idsOf(f, 'trade'),
      );
      expectTiling(
        [...trades, ...destroyedTrades],
        trades.reduce((m, r) => Math.min(m, r[0]), Infinity),
        truth.lastTradeId as number,
      );
    } finally {
      await venue.close();
    }
  }, 60_000);

  it.skipIf(!hasSharedData('replay through the ingestor', ...RECORDING_2024))(
    'carries the whole 2024 recording into Kinesis once, at maximum speed',
    async () => {
      const venue = await startVenue({
        source: { kind: 'replay', path: RECORDING_2024.map(sharedDataPath), speed: 'max' },
        startOn: 'first-subscription',
      });
      try {
        const { gaps, diffs, trades, bestBidAsk } = await runSession(venue);
        expect(diffs).toHaveLength(6495);
        expectTiling(diffs, 50093239189, 50093696318);
        expect(trades).toHaveLength(19904);
        expectTiling(trades, trades[0]?.[0] as number, (trades[0]?.[0] as number) + 19903);
        expect(bestBidAsk).toBe(73174);
        expect(gaps.filter((g) => g.kind === 'sequence' && g.reason !== 'duplicate')).toEqual([]);
      } finally {
        await venue.close();
      }
    },
    120_000,
  );
});
