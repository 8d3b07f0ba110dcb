/** An in-memory BronzeSource and realistic bronze objects (docs/bronze-layout.md) for the tests. */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { FEATURE_COUNT, FEATURE_VERSION } from '../../core/features/feature-names.ts';
import type {
  BronzeObjectRef,
  BronzeSource,
  ConnectorCheckpoint,
} from '../../lambdas/data-connector/bronze-source.ts';

export class MemoryBronze implements BronzeSource {
  readonly objects = new Map<string, Uint8Array>();
  readonly checkpoints = new Map<string, ConnectorCheckpoint>();

  put(key: string, lines: unknown[]): void {
    this.objects.set(key, gzipSync(lines.map((l) => JSON.stringify(l)).join('\n')));
  }

  private etag(key: string): string {
    return createHash('md5')
      .update(this.objects.get(key) as Uint8Array)
      .digest('hex');
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<BronzeObjectRef> {
    for (const key of [...this.objects.keys()].sort())
      if (key.startsWith(prefix) && (!startAfter || key > startAfter)) yield { key, etag: this.etag(key) };
  }

  async get(key: string): Promise<{ body: Uint8Array; etag?: string }> {
    const body = this.objects.get(key);
    if (!body) throw new Error(`NoSuchKey ${key}`);
    return { body, etag: this.etag(key) };
  }

  async readCheckpoint(dataset: string, symbol: string) {
    return this.checkpoints.get(`${dataset}/${symbol}`);
  }

  async writeCheckpoint(dataset: string, symbol: string, c: ConnectorCheckpoint) {
    this.checkpoints.set(`${dataset}/${symbol}`, c);
  }
}

const P = 'bronze';
const part = 'symbol=BTCUSDT/dt=2024-08-09/hour=00';
const T0_MS = 1_723_161_600_000;

/** Two aggTrades objects that overlap by one trade, two kline polls of the same minute, a depth
 * snapshot, and 30 s of served features (16 vectors every 2 s). */
export function seedBronze(bronze: MemoryBronze): void {
  const trade = (a: number) => ({
    a,
    p: `61800.${String(a % 100).padStart(2, '0')}`,
    q: '0.00120000',
    f: a * 2,
    l: a * 2 + 1,
    T: T0_MS + a,
    m: a % 2 === 0,
    M: true,
    recvTimeUs: (T0_MS + a) * 1000 + 900,
  });
  bronze.put(
    `${P}/rest/aggTrades/${part}/1000-1049.ndjson.gz`,
    Array.from({ length: 50 }, (_, i) => trade(1000 + i)),
  );
  bronze.put(
    `${P}/rest/aggTrades/${part}/1049-1099.ndjson.gz`,
    Array.from({ length: 51 }, (_, i) => trade(1049 + i)),
  );
  const kline = (close: string, recvTimeUs: number) => ({
    openTimeMs: T0_MS,
    open: '61800.00',
    high: '61850.00',
    low: '61790.00',
    close,
    volume: '12.5',
    closeTimeMs: T0_MS + 59_999,
    quoteVolume: '772500.1',
    trades: 900,
    takerBuyBase: '6.1',
    takerBuyQuote: '376980.0',
    recvTimeUs,
  });
  bronze.put(`${P}/rest/klines_1m/${part}/${T0_MS}-${T0_MS}.ndjson.gz`, [kline('61820.00', 1)]);
  bronze.put(`${P}/rest/klines_1m/${part}/${T0_MS}-${T0_MS + 1}.ndjson.gz`, [kline('61840.00', 2)]);
  bronze.put(`${P}/rest/depth/${part}/50093239218-50093239218.ndjson.gz`, [
    {
      lastUpdateId: 50093239218,
      bids: [
        ['61800.00', '1.5'],
        ['61799.99', '0.2'],
      ],
      asks: [['61800.01', '0.7']],
      recvTimeUs: T0_MS * 1000,
    },
  ]);
  const vec = (i: number) => ({
    eventTimeUs: T0_MS * 1000 + i * 2_000_000,
    v: FEATURE_VERSION,
    values: Array.from({ length: FEATURE_COUNT }, (_, j) => (i === 0 && j === 3 ? null : (i + 1) * 0.01 + j)),
    modelVersion: 'v20240809T000000Z-00000000',
    predictionLogReturn: i * 1e-5,
    horizonUs: 10_000_000,
  });
  bronze.put(
    `${P}/features/served/${part}/${T0_MS * 1000}-${T0_MS * 1000 + 30_000_000}.ndjson.gz`,
    Array.from({ length: 16 }, (_, i) => vec(i)),
  );
  // Not a dataset the connector loads: left alone.
  bronze.put(`${P}/stream/depth/${part}/shardId-0_1-2.ndjson.gz`, [{ sbe: 'AA==' }]);
}
