/**
 * The dashboard in headless Chromium (Debian's chromium + playwright-core): the page loads with live
 * data from the running local pipeline (book, trades, latency per hop, services' health), logs no
 * console error, and a screenshot is saved to test-output/dashboard.png.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStartOptions } from '../../local/cli-options.ts';
import { type Dashboard, startDashboard } from '../../local/dashboard/dashboard-server.ts';
import { LocalPipeline } from '../../local/local-pipeline.ts';
import { REDIS_DB } from '../support/redis.ts';
import { REPO_ROOT } from '../support/shared-data.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`[skip] dashboard: needs Chromium at ${CHROMIUM} (apt-get install -y chromium).`);

describe.skipIf(!hasChromium)('local dashboard in headless Chromium', () => {
  let pipeline: LocalPipeline;
  let dashboard: Dashboard;
  let browser: Browser;

  beforeAll(async () => {
    const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    redisUrl.pathname = `/${REDIS_DB.dashboard}`;
    pipeline = new LocalPipeline(parseStartOptions(['--seed', '3']), () => {}, undefined, {
      REDIS_URL: redisUrl.toString(),
    });
    await pipeline.start();
    dashboard = await startDashboard(pipeline, {
      symbol: 'BTCUSDT',
      source: 'sim',
      port: 0,
      intervalMs: 500,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await pipeline?.stop();
  });

  it('shows live book, trades, latency and health, without console errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(dashboard.url);
    // Live: several server-sent snapshots applied, the first re-anchor done, trades flowing.
    await page.waitForFunction(() => Number(document.body.dataset.updates ?? 0) >= 4, undefined, {
      timeout: 30_000,
    });
    await page.waitForFunction(() => document.querySelectorAll('#book tbody tr').length >= 10, undefined, {
      timeout: 30_000,
    });
    await page.waitForFunction(() => document.querySelectorAll('#trades tbody tr').length >= 3, undefined, {
      timeout: 30_000,
    });
    expect(await page.locator('.hop').count()).toBe(6);
    expect(await page.locator('.service').count()).toBe(7);
    expect(await page.locator('.service.healthy').count()).toBeGreaterThanOrEqual(6);
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
    const bestBid = Number(await page.locator('#book tbody tr:first-child td:nth-child(2)').textContent());
    const bestAsk = Number(await page.locator('#book tbody tr:first-child td:nth-child(3)').textContent());
    expect(bestBid).toBeGreaterThan(0);
    expect(bestAsk).toBeGreaterThan(bestBid);
    mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'test-output/dashboard.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);
});
