/**
 * The first model of a local session (when the model store has none): once the served feature
 * vectors in Postgres (loaded by the data connector from bronze `features/served`) make enough
 * complete labelled rows, export them in the bronze layout and run the real training job once, in
 * its own process (the trainer container's entry), so that training never blocks the pipeline's event
 * loop. The usual rule decides: promoted only if it beats the random walk on the held-out span.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bronzeKey } from '../core/bronze/bronze-keys.ts';
import { FEATURE_VERSION, featureVectorToJSON } from '../core/features/feature-names.ts';
import { completeRows, datasetFromServedVectors } from '../core/model/dataset.ts';
import { DirectoryBronzeWriter } from '../lambdas/shared/bronze/directory-bronze-writer.ts';
import { MarketDataRepository } from '../lambdas/shared/sql/market-data-repository.ts';
import type { SqlClient } from '../lambdas/shared/sql/sql-client.ts';

export type FirstModelStatus =
  | { status: 'existing'; version: string }
  | { status: 'waiting'; rows: number; needed: number }
  | { status: 'training'; rows: number }
  | { status: 'finished'; rows: number; exitCode: number | null; lastLine: string }
  | { status: 'failed'; error: string };

/**
 * Rows the first training waits for. Features need 60 s of history and labels 10 s of future, so
 * rows start ~70 s into a session, one per 2 s tick. The promotion rule wants 30 held-out rows and
 * the default split holds out a fifth, so 150 rows (about 6 minutes of session) is the least that can
 * produce a model the rule would even consider.
 */
const MIN_ROWS = 150;
const TRAINER = fileURLToPath(new URL('../containers/trainer/main.ts', import.meta.url));

export class FirstModelTrainer {
  state: FirstModelStatus;
  private busy = false;

  constructor(
    private readonly sql: SqlClient,
    private readonly modelStoreDir: string,
    private readonly symbol: string,
    private readonly onFinished: () => Promise<unknown>,
    private readonly log: (
      level: 'info' | 'warn' | 'error',
      message: string,
      fields?: Record<string, unknown>,
    ) => void,
    existingVersion: string | undefined,
  ) {
    this.state = existingVersion
      ? { status: 'existing', version: existingVersion }
      : { status: 'waiting', rows: 0, needed: MIN_ROWS };
  }

  /** Called on a schedule: trains once enough rows exist; afterwards does nothing. */
  async tick(): Promise<void> {
    if (this.state.status !== 'waiting' || this.busy) return;
    this.busy = true;
    try {
      const vectors = await new MarketDataRepository(this.sql).readFeatures(this.symbol, FEATURE_VERSION);
      const rows = completeRows(datasetFromServedVectors(vectors, 'pglite').rows).rows.length;
      this.state = { status: 'waiting', rows, needed: MIN_ROWS };
      if (rows < MIN_ROWS || vectors.length === 0) return;
      this.state = { status: 'training', rows };
      this.log('info', `first model: training on ${rows} rows served this session (a separate process)`);
      const dir = await mkdtemp(join(tmpdir(), 'first-model-'));
      try {
        const first = vectors[0]?.eventTimeUs as number;
        const last = vectors.at(-1)?.eventTimeUs as number;
        const key = bronzeKey('features/served', this.symbol, first / 1000, first, last);
        await new DirectoryBronzeWriter(dir).write(key, vectors.map(featureVectorToJSON));
        const { exitCode, lastLine } = await this.train(dir);
        this.state = { status: 'finished', rows, exitCode, lastLine };
        await this.onFinished();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } catch (error) {
      this.state = { status: 'failed', error: String(error) };
      this.log('error', 'first model: training failed', { error: String(error) });
    } finally {
      this.busy = false;
    }
  }

  private train(dataDir: string): Promise<{ exitCode: number | null; lastLine: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', TRAINER, '--data', dataDir], {
        env: { ...process.env, MODEL_STORE_DIR: this.modelStoreDir, POWERTOOLS_LOG_LEVEL: 'INFO' },
        // The IPC channel closes when this process dies, however: the trainer exits with it.
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      let lastLine = '';
      const onLine = (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          lastLine = line;
          // The trainer logs JSON lines (Powertools): show the milestones as progress.
          if (/"message":"(data|epoch|training finished|training failed|promot)/.test(line)) {
            this.log('info', `first model: ${line.slice(0, 240)}`);
          }
        }
      };
      child.stdout?.on('data', onLine);
      child.stderr?.on('data', onLine);
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve({ exitCode, lastLine: lastLine.slice(0, 500) }));
    });
  }
}
