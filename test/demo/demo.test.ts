/**
 * Runs the demo end to end on a small sample business — embedded or DATABASE_URL PostgreSQL,
 * the Stripe and QuickBooks fakes, real webhook deliveries, monthly release, close and sync,
 * reconciliation — and checks that the ledger and QuickBooks agree to the cent, that periods
 * were closed, and that the HTML report it writes draws both charts in headless Chromium.
 */
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, inject, it } from 'vitest';
import { runDemo } from '../../backend/demo/demo.ts';
import { createLogger } from '../../backend/log/logger.ts';
import { chromiumPlan, launchChromium } from '../support/browser.ts';

it('runs the demo end to end and writes a report whose charts draw', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'accrue-demo-'));
  chmodSync(dataDir, 0o755);
  const lines: string[] = [];
  const r = await runDemo({
    dataDir,
    databaseUrl: inject('adminDatabaseUrl'),
    log: createLogger('silent'),
    out: (l) => lines.push(l),
    customers: 30,
    months: 5,
  });
  expect(r.agree).toBe(true);
  const value = (label: string) => r.summary.find((s) => s.label.startsWith(label))!.value;
  expect(value('Ledger and QuickBooks agree')).toMatch(/^yes \(\d+ period\/account cells\)/);
  expect(value('Journal entries')).toMatch(/\d+ periods closed/);
  expect(Number(value('Stripe events processed'))).toBeGreaterThan(100);
  expect(value('Revenue recognized')).toMatch(/^\d+\.\d{2} USD$/);
  expect(existsSync(r.reportPath)).toBe(true);

  const plan = chromiumPlan();
  if (!plan.run) {
    if (plan.fail) throw new Error(plan.reason);
    return;
  }
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    await page.goto(pathToFileURL(r.reportPath).href);
    for (const chart of ['waterfall', 'deferred']) {
      const heights = await page.$$eval(`[data-chart="${chart}"] [data-bar]`, (els) =>
        els.map((e) => e.getBoundingClientRect().height),
      );
      expect(heights.length, `${chart} bars`).toBeGreaterThan(3);
      expect(heights.every((h) => h > 0)).toBe(true);
    }
    expect(await page.$$eval('[data-chart="deferred"] [data-point]', (els) => els.length)).toBeGreaterThanOrEqual(4);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
}, 120_000);
