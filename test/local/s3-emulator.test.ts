/**
 * The S3 emulator states its one precondition up front: without OpenSSL's legacy provider, s3rver
 * would answer InternalError only once a listing passes 1,000 keys, long into a run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('startS3Emulator', () => {
  it('refuses to start without the legacy provider, saying how to run it', async () => {
    const env = { ...process.env, NODE_OPTIONS: '' };
    const script =
      "import('./local/emulators/s3-emulator.ts').then((m) => m.startS3Emulator()).then(" +
      '(s) => s.close().then(() => console.log("started")), (e) => console.log(`${e.name}: ${e.message}`))';
    const { stdout } = await run('npx', ['tsx', '-e', script], { env });
    expect(stdout).toMatch(/^S3EmulatorSetupError: .*NODE_OPTIONS=--openssl-legacy-provider/);
  }, 30_000);
});
