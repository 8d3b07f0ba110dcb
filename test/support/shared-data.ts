/**
 * Where the real Binance recordings live (../shared/data beside the repository, present in CI).
 * Tests that need them use `describe.skipIf(!hasSharedData(...))` and print why they skipped.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DATA_DIR = process.env.SHARED_DATA_DIR ?? join(REPO_ROOT, '../shared/data');

export function sharedDataPath(relative: string): string {
  return join(SHARED_DATA_DIR, relative);
}

/** True when every file exists; otherwise logs a visible skip reason and returns false. */
export function hasSharedData(suite: string, ...relatives: string[]): boolean {
  const missing = relatives.filter((r) => !existsSync(sharedDataPath(r)));
  if (missing.length === 0) return true;
  console.warn(`[skip] ${suite}: needs ${missing.join(', ')} under ${SHARED_DATA_DIR} (absent here).`);
  return false;
}

export const RECORDING_2024 = [
  'depth/spot_btcusdt_2024-08-08T2354Z_raw_stream.txt.gz',
  'depth/spot_btcusdt_2024-08-09T0000Z_raw_stream.txt.gz',
] as const;
