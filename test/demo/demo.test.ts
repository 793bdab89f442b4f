/**
 * Runs the demo end to end on a small sample business — embedded or DATABASE_URL PostgreSQL,
 * the Stripe and QuickBooks fakes, real webhook deliveries, monthly release, close and sync,
 * reconciliation — and checks that the ledger and QuickBooks agree to the cent, that periods
 * were closed, and that the HTML report it writes draws both charts in headless Chromium. Then,
 * with `--serve`, the product keeps running on the demo's books: the command line reaches them
 * with the environment the demo prints (tenants, reports, sync and reconcile against the live
 * QuickBooks fake), the admin API answers with the printed key, and progress covered every step.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, inject, it } from 'vitest';
import { main } from '../../backend/cli/main.ts';
import { DEMO_MARKER } from '../../backend/demo/books.ts';
import { runDemo } from '../../backend/demo/demo.ts';
import type { DemoServeInfo } from '../../backend/demo/serve.ts';
import { createLogger } from '../../backend/log/logger.ts';
import { chromiumPlan, launchChromium } from '../support/browser.ts';

it('runs the demo end to end and writes a report whose charts draw', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'accrue-demo-'));
  chmodSync(dataDir, 0o755);
  const lines: string[] = [];
  const progress: { detail: string; done: number; total: number }[] = [];
  let served: { info: DemoServeInfo; cli: Record<string, { code: number; out: string; err: string }> } | null = null;
  const r = await runDemo({
    dataDir,
    databaseUrl: inject('adminDatabaseUrl'),
    log: createLogger('silent'),
    out: (l) => lines.push(l),
    progress: (detail, done, total) => progress.push({ detail, done, total }),
    customers: 30,
    months: 5,
    serve: {
      port: 0,
      onReady: (info) => void (served = { info, cli: {} }),
      // While serving: what a person in another terminal would try.
      until: async () => {
        served!.cli = await tryServedBooks(served!.info, markedTenant(dataDir));
      },
    },
  });
  expect(r.agree).toBe(true);
  const value = (label: string) => r.summary.find((s) => s.label.startsWith(label))!.value;
  expect(value('Ledger and QuickBooks agree')).toMatch(/^yes \(\d+ period\/account cells\)/);
  expect(value('Open exceptions')).toMatch(/^None need a person/);
  expect(value('Open exceptions')).not.toMatch(/engine|mapping/);
  expect(value('QuickBooks')).toMatch(/^\d+ journal entries posted to QuickBooks/);
  expect(value('Journal entries')).toMatch(/\d+ periods closed/);
  expect(Number(value('Stripe events processed'))).toBeGreaterThan(100);
  expect(value('Revenue recognized')).toMatch(/^\d{1,3}(,\d{3})*\.\d{2} USD$/);
  expect(existsSync(r.reportPath)).toBe(true);
  // Foreign currency moved and the report says where: exchange differences tied to the ledger, and the
  // EUR Stripe balance (EUR charges settle in EUR, paid out in EUR) agreeing with Stripe's own.
  expect(value('Exchange differences')).toMatch(/^realized -?[\d,]+\.\d{2} USD .*unrealized, open at the end/);
  const html = readFileSync(r.reportPath, 'utf8');
  expect(html).toContain('data-fx-ties="true"');
  expect(html).not.toMatch(/data-table="fx-movements"[^]*?<tfoot>[^]*?data-total="total">0\.00</);
  for (const cur of ['usd', 'eur'])
    expect(html).toMatch(new RegExp(`data-balance-currency="${cur}"[^]*?✓ agrees with Stripe`));

  // Progress covered the whole demo, ending on its last step.
  expect(progress.at(-1)).toMatchObject({ done: progress.at(-1)!.total });
  expect(progress.map((p) => p.detail).join('\n')).toMatch(
    /processed the inbox[\s\S]*posted to QuickBooks[\s\S]*report/,
  );

  // The demo names its tenant and the environment that reaches its books.
  expect(r.tenant).toMatch(/^acct_/);
  expect(r.env.DATABASE_URL).toMatch(/\/accrue_demo(\?|$)/);
  const cli = served!.cli;
  expect(cli.tenants!.out).toContain(r.tenant);
  expect(cli.report!.code).toBe(0);
  expect(cli.report!.out).toMatch(/Trial balance/);
  expect(cli.sync!.code, cli.sync!.err).toBe(0);
  expect(cli.reconcile!.code, cli.reconcile!.err).toBe(0);
  expect(cli.reconcile!.out).toMatch(/ledger and QuickBooks agree/);
  expect(cli.admin!.out).toContain(r.tenant);
  expect(served!.info.lines.join('\n')).toMatch(/npx accrue sync --tenant acct_/);

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
    for (const chart of ['waterfall', 'deferred', 'mrr']) {
      const heights = await page.$$eval(`[data-chart="${chart}"] [data-bar]`, (els) =>
        els.map((e) => e.getBoundingClientRect().height),
      );
      expect(heights.length, `${chart} bars`).toBeGreaterThan(3);
      expect(heights.every((h) => h > 0)).toBe(true);
    }
    expect(await page.$$eval('[data-chart="deferred"] [data-point]', (els) => els.length)).toBeGreaterThanOrEqual(4);
    expect(await page.$$eval('[data-section="bridge"] [data-bridge-ties="true"]', (els) => els.length)).toBe(1);
    expect(await page.$$eval('[data-section="exceptions"]', (els) => els.length)).toBe(1);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
}, 120_000);

/** The tenant the demo's folder names in its marker (what `accrue tenants` hints at). */
function markedTenant(dataDir: string): string {
  return (JSON.parse(readFileSync(join(dataDir, 'demo', DEMO_MARKER), 'utf8')) as { tenant: string }).tenant;
}

/** Runs commands against the served demo with the variables of its serve.env, as a person would. */
async function tryServedBooks(info: DemoServeInfo, tenant: string) {
  const env = Object.fromEntries(
    readFileSync(info.envFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const saved = { ...process.env };
  Object.assign(process.env, env, { LOG_LEVEL: 'silent' });
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const write = process.stdout.write.bind(process.stdout);
    // Most commands print their result on stdout directly.
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
      return { code, out, err };
    } finally {
      process.stdout.write = write;
    }
  };
  try {
    const admin = await fetch(`${info.apiUrl}/admin/tenants`, {
      headers: { authorization: `Bearer ${info.adminKey}` },
    });
    return {
      tenants: await run(['tenants']),
      report: await run(['report', 'trial-balance', '--tenant', tenant]),
      sync: await run(['sync', '--tenant', tenant]),
      reconcile: await run(['reconcile', '--tenant', tenant]),
      admin: { code: admin.status, out: await admin.text(), err: '' },
    };
  } finally {
    process.env = saved;
  }
}
