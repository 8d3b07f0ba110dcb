import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores on the project's machines: keep parallelism modest so timing-sensitive
    // integration tests are not starved.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // s3rver (the S3 emulator) needs DES for listings longer than a page (local/emulators/s3-emulator.ts).
    execArgv: ['--openssl-legacy-provider'],
  },
});
