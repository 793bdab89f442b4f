/**
 * Proves that the demo's HTML report shows the books truthfully and renders for real: the
 * fixture ledger is rendered to a file and opened in headless Chromium, where both charts of
 * every currency are drawn (one bar per non-zero waterfall cell, one point per period, every bar
 * with a positive rendered height in proportion to its amount), the table totals read exactly
 * the report's totals as formatted by `formatMinor`, account names with `<`, `&` and quotes show
 * as text, and the page logs no error and fetches nothing. Without a browser, the string-level
 * checks still run: escaping, self-containment, the chart window and the QuickBooks block.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { CHART_PERIODS_MAX, renderDemoReport, type DemoReportInput } from '../../backend/demo/report-html.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { formatMinor, negateMinor, currency as currencyOf } from '../../shared/money.ts';
import { periodCalendar, periodsBetween } from '../../shared/periods.ts';
import { randomLedger } from '../../shared/reports/fixtures/random-ledger.ts';
import { sampleLedger } from '../../shared/reports/fixtures/sample-ledger.ts';
import { rollforward, trialBalance, waterfall } from '../../shared/reports/index.ts';
import { chromiumPlan, launchChromium } from '../support/browser.ts';
import { moneyText } from '../../backend/demo/report-format.ts';

/** An account name that breaks HTML if it is not escaped. */
const NASTY_NAME = 'Pro <Plan> & "Co" \'s';

/** The sample ledger with its "Pro Plan" revenue account renamed to NASTY_NAME. */
function fixtureLines(): LedgerLine[] {
  return sampleLedger().map((l) => (l.account === 'Pro Plan' ? { ...l, account: NASTY_NAME } : l));
}

const PERIODS = periodsBetween(periodCalendar({ type: 'monthly' }), '2026-01-01', '2026-03-31');

function fixtureInput(): DemoReportInput {
  return {
    title: 'Accrue demo <report> & books',
    primaryCurrency: currencyOf('usd'),
    generatedAt: '2026-04-01T00:00:00Z',
    lines: fixtureLines(),
    periods: PERIODS,
    summary: [
      { label: 'Invoices', value: '5' },
      { label: 'Revenue recognized (USD)', value: '437.50' },
    ],
    qboAgreement: {
      agree: false,
      rows: [
        {
          period: '2026-01',
          currency: currencyOf('usd'),
          account: 'Deferred Revenue',
          ledger_minor: -18347n,
          qbo_minor: -18347n,
        },
        { period: '2026-02', currency: currencyOf('usd'), account: 'R&D <lab>', ledger_minor: 1000n, qbo_minor: 900n },
      ],
    },
  };
}

describe('renderDemoReport as text', () => {
  it('escapes every piece of caller and ledger text', () => {
    const html = renderDemoReport(fixtureInput());
    expect(html).toContain('Pro &lt;Plan&gt; &amp; &quot;Co&quot; &#39;s');
    expect(html).toContain('<title>Accrue demo &lt;report&gt; &amp; books</title>');
    expect(html).toContain('R&amp;D &lt;lab&gt;');
    expect(html).not.toContain('<Plan>');
    expect(html).not.toContain('<lab>');
    expect(html).not.toContain('<report>');
  });

  it('is self-contained: no script, no external reference, and a CSP that forbids fetching', () => {
    const html = renderDemoReport(fixtureInput());
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    // The only URLs are the SVG namespace.
    const urls = html.match(/https?:\/\/[^\s"')]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('has one section per currency of the ledger, the functional one first, each with both charts', () => {
    const html = renderDemoReport(fixtureInput());
    const sectionsOf = (h: string) =>
      [...h.matchAll(/<section class="currency" data-currency="([a-z]{3})"/g)].map((m) => m[1]);
    expect(sectionsOf(html)).toEqual(['usd', 'jpy']);
    expect(sectionsOf(renderDemoReport({ ...fixtureInput(), primaryCurrency: undefined }))).toEqual(['jpy', 'usd']);
    expect(html.match(/data-chart="waterfall"/g)).toHaveLength(2);
    expect(html.match(/data-chart="deferred"/g)).toHaveLength(2);
  });

  it('states whether QuickBooks agrees and marks the differing row', () => {
    const html = renderDemoReport(fixtureInput());
    expect(html).toContain('data-qbo-agree="false"');
    expect(html).toMatch(
      /<tr class="off"><th scope="row">2026-02<\/th><td>USD<\/td><td>R&amp;D &lt;lab&gt;<\/td><td class="num">10\.00<\/td><td class="num">9\.00<\/td><td class="num">1\.00<\/td>/,
    );
    const agreeing = renderDemoReport({ ...fixtureInput(), qboAgreement: { agree: true, rows: [] } });
    expect(agreeing).toContain('data-qbo-agree="true"');
    expect(renderDemoReport({ ...fixtureInput(), qboAgreement: undefined })).not.toContain('data-section="qbo"');
  });

  it(`draws at most ${CHART_PERIODS_MAX} periods per chart and keeps the rest in the tables`, () => {
    const many = periodsBetween(periodCalendar({ type: 'monthly' }), '2023-01-01', '2026-03-31');
    expect(many.length).toBeGreaterThan(CHART_PERIODS_MAX);
    const html = renderDemoReport({ ...fixtureInput(), periods: many });
    const usd = html.slice(html.indexOf('data-currency="usd"'));
    const deferredSvg = usd.slice(
      usd.indexOf('data-chart="deferred"'),
      usd.indexOf('</svg>', usd.indexOf('data-chart="deferred"')),
    );
    expect(deferredSvg.match(/data-point/g)).toHaveLength(CHART_PERIODS_MAX);
    expect(usd).toContain(`${many.length - CHART_PERIODS_MAX} earlier in the table only`);
    const rfTable = usd.slice(
      usd.indexOf('data-role="deferred_revenue"'),
      usd.indexOf('</table>', usd.indexOf('data-role="deferred_revenue"')),
    );
    expect(rfTable.match(/<tr(?: class="off")?><th scope="row">\d{4}-\d{2}<\/th>/g)).toHaveLength(many.length);
  });
});

/** The markup of one currency's section, and inside it the markup of one chart. */
function sectionOf(html: string, currency: string): string {
  const start = html.indexOf(`<section class="currency" data-currency="${currency}"`);
  expect(start).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
}
function chartOf(section: string, chart: 'waterfall' | 'deferred'): string {
  const start = section.indexOf(`data-chart="${chart}"`);
  expect(start).toBeGreaterThanOrEqual(0);
  return section.slice(start, section.indexOf('</svg>', start));
}
function attrs(markup: string, marker: 'data-bar' | 'data-point'): Record<string, string>[] {
  return [...markup.matchAll(new RegExp(`<(?:rect|circle) ${marker} ([^>]*)>`, 'g'))].map((m) =>
    Object.fromEntries([...m[1]!.matchAll(/([a-z-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  );
}

describe('renderDemoReport over seeded random ledgers', () => {
  /** Seeds tried; each ledger has every entry kind, three currencies and hostile names. */
  const SEEDS = 12;
  const RANDOM_PERIODS = periodsBetween(periodCalendar({ type: 'monthly' }), '2026-01-01', '2026-04-30');

  it('draws exactly the report: one bar per non-zero cell, one point per period, amounts as formatted', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const lines = randomLedger(seed, 300);
      const html = renderDemoReport({
        title: `seed ${seed}`,
        generatedAt: 'now',
        lines,
        periods: RANDOM_PERIODS,
        summary: [],
      });
      const rf = rollforward(lines, { periods: RANDOM_PERIODS });
      for (const w of waterfall(lines).currencies) {
        const section = sectionOf(html, w.currency);
        const cells = w.rows.flatMap((r) => Object.values(r.cells)).filter((c) => c.amountMinor !== 0n);
        const bars = attrs(chartOf(section, 'waterfall'), 'data-bar');
        expect(
          bars.map((b) => `${b['data-booked']}>${b['data-recognized']}=${b['data-amount']}`).sort(),
          `SEED=${seed} ${w.currency}`,
        ).toEqual(
          cells.map((c) => `${c.bookedPeriod}>${c.recognitionPeriod}=${formatMinor(c.amountMinor, w.currency)}`).sort(),
        );
        for (const b of bars) expect(Number(b.height), `SEED=${seed}`).toBeGreaterThan(0);
        expect(section).toContain(`data-total="waterfall">${moneyText(w.total, w.currency)}<`);
      }
      for (const currency of new Set(rf.rows.filter((r) => r.role === 'deferred_revenue').map((r) => r.currency))) {
        const rows = rf.rows.filter((r) => r.role === 'deferred_revenue' && r.currency === currency);
        const chart = chartOf(sectionOf(html, currency), 'deferred');
        expect(
          attrs(chart, 'data-point').map((p) => p['data-amount']),
          `SEED=${seed} ${currency}`,
        ).toEqual(rows.map((r) => formatMinor(r.closing, currency)));
        expect(
          attrs(chart, 'data-bar').map((b) => b['data-amount']),
          `SEED=${seed} ${currency}`,
        ).toEqual(rows.filter((r) => r.recognized !== 0n).map((r) => formatMinor(r.recognized, currency)));
      }
    }
  });

  it('draws a negative waterfall cell downwards from the zero line', () => {
    // A recognition of January reversed in March: the 2026-01 → 2026-03 cell nets negative.
    const lines = fixtureLines();
    const january = lines.filter((l) => l.entryId === 'je_05');
    const reversal = january.map((l) => ({
      ...l,
      entryId: 'je_90',
      entryKey: 'reversal:je_05',
      kind: 'reversal' as const,
      postingDate: '2026-03-20',
      period: '2026-03',
      amountMinor: negateMinor(l.amountMinor),
      reversesEntryId: 'je_05',
    }));
    const html = renderDemoReport({ ...fixtureInput(), lines: [...lines, ...reversal] });
    const chart = chartOf(sectionOf(html, 'usd'), 'waterfall');
    const negative = attrs(chart, 'data-bar').find(
      (b) => b['data-recognized'] === '2026-03' && b['data-booked'] === '2026-01',
    );
    expect(negative?.['data-amount']).toBe('-15.30');
    const zeroY = /<line class="zero" [^>]*y1="([\d.]+)"/.exec(chart)?.[1];
    expect(negative?.y).toBe(zeroY);
    expect(Number(negative?.height)).toBeGreaterThan(0);
    // The value axis reaches below zero to hold it.
    expect(chart).toMatch(/dominant-baseline="middle">-\d+\.\d{2}<\/text>/);
  });
});

const plan = chromiumPlan();

describe.skipIf(!plan.run && !plan.fail)('demo report in headless Chromium', () => {
  const input = fixtureInput();
  const wf = waterfall(input.lines);
  const rf = rollforward(input.lines, { periods: input.periods });
  const tb = trialBalance(input.lines, { throughPeriod: '2026-03' });
  let dir = '';
  let browser: Browser | undefined;
  let page: Page;
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  let fileUrl = '';

  /** Runs a DOM expression in the page (the project's tsconfig has no DOM types, hence a string). */
  const inPage = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;
  const textOf = (selector: string): Promise<string> => page.locator(selector).innerText();

  beforeAll(async () => {
    if (!plan.run) throw new Error(plan.reason);
    dir = mkdtempSync(join(tmpdir(), 'accrue-demo-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderDemoReport(input));
    fileUrl = pathToFileURL(file).href;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(fileUrl, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
    // DEMO_REPORT_KEEP=1 keeps the HTML and the screenshot for a person to look at.
    if (dir && !process.env.DEMO_REPORT_KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.info(`demo report kept in ${dir}`);
  });

  it('has a title, labelled charts and table headers', async () => {
    expect(await page.title()).toBe('Accrue demo <report> & books');
    const charts = await inPage<{ role: string | null; label: string | null; title: string; desc: string }[]>(
      `Array.from(document.querySelectorAll('svg[data-chart]')).map(s => ({ role: s.getAttribute('role'), label: s.getAttribute('aria-label'), title: s.querySelector(':scope > title')?.textContent ?? '', desc: s.querySelector(':scope > desc')?.textContent ?? '' }))`,
    );
    expect(charts).toHaveLength(4);
    for (const c of charts) {
      expect(c.role).toBe('img');
      expect(c.label?.length).toBeGreaterThan(20);
      expect(c.title.length).toBeGreaterThan(0);
      expect(c.desc.length).toBeGreaterThan(0);
    }
    expect(await page.locator('table thead th[scope="col"]').count()).toBeGreaterThan(10);
  });

  for (const currency of ['usd', 'jpy'].map(currencyOf)) {
    it(`draws one waterfall bar per non-zero cell in ${currency.toUpperCase()}, each visible and in proportion`, async () => {
      const w = wf.currencies.find((c) => c.currency === currency)!;
      const cells = w.rows.flatMap((r) => Object.values(r.cells)).filter((c) => c.amountMinor !== 0n);
      expect(cells.length).toBeGreaterThan(0);
      const bars = await inPage<
        { height: number; top: number; bottom: number; amount: string; svgTop: number; svgBottom: number }[]
      >(
        `Array.from(document.querySelectorAll('section[data-currency="${currency}"] svg[data-chart="waterfall"] [data-bar]')).map(e => { const r = e.getBoundingClientRect(); const s = e.ownerSVGElement.getBoundingClientRect(); return { height: r.height, top: r.top, bottom: r.bottom, amount: e.getAttribute('data-amount'), svgTop: s.top, svgBottom: s.bottom }; })`,
      );
      expect(bars).toHaveLength(cells.length);
      expect(bars.map((b) => b.amount).sort()).toEqual(cells.map((c) => formatMinor(c.amountMinor, currency)).sort());
      for (const b of bars) {
        expect(b.height).toBeGreaterThan(0);
        expect(b.top).toBeGreaterThanOrEqual(b.svgTop);
        expect(b.bottom).toBeLessThanOrEqual(b.svgBottom);
      }
      // Heights follow amounts: compare each bar with the tallest, within 1.5 px of rounding.
      const amounts = bars.map((b) => Number(b.amount));
      const tallest = bars.reduce((best, b, i) => (b.height > bars[best]!.height ? i : best), 0);
      for (const [i, b] of bars.entries()) {
        const expected = (bars[tallest]!.height * amounts[i]!) / amounts[tallest]!;
        expect(Math.abs(b.height - expected)).toBeLessThan(1.5);
      }
    });

    it(`draws one deferred revenue point per period and one bar per period with recognition in ${currency.toUpperCase()}`, async () => {
      const rows = rf.rows.filter((r) => r.currency === currency && r.role === 'deferred_revenue');
      expect(rows).toHaveLength(PERIODS.length);
      const chart = `section[data-currency="${currency}"] svg[data-chart="deferred"]`;
      const points = await inPage<{ r: number; amount: string }[]>(
        `Array.from(document.querySelectorAll('${chart} [data-point]')).map(e => ({ r: e.getBoundingClientRect().height, amount: e.getAttribute('data-amount') }))`,
      );
      expect(points.map((p) => p.amount)).toEqual(rows.map((r) => formatMinor(r.closing, currency)));
      for (const p of points) expect(p.r).toBeGreaterThan(0);
      const bars = await inPage<number[]>(
        `Array.from(document.querySelectorAll('${chart} [data-bar]')).map(e => e.getBoundingClientRect().height)`,
      );
      expect(bars).toHaveLength(rows.filter((r) => r.recognized !== 0n).length);
      for (const h of bars) expect(h).toBeGreaterThan(0);
    });

    it(`shows the report's totals in the ${currency.toUpperCase()} tables`, async () => {
      const section = `section[data-currency="${currency}"]`;
      const w = wf.currencies.find((c) => c.currency === currency)!;
      expect(await textOf(`${section} [data-table="waterfall"] [data-total="waterfall"]`)).toBe(
        moneyText(w.total, currency),
      );
      for (const col of w.columns) {
        expect(await textOf(`${section} [data-table="waterfall"] [data-column-total="${col}"]`)).toBe(
          moneyText(w.columnTotals[col]!, currency),
        );
      }
      const rows = rf.rows.filter((r) => r.currency === currency && r.role === 'deferred_revenue');
      const rfTable = `${section} [data-table="rollforward"][data-role="deferred_revenue"]`;
      const sum = (pick: (r: (typeof rows)[number]) => bigint) =>
        moneyText(
          rows.reduce((s, r) => s + pick(r), 0n),
          currency,
        );
      expect(await textOf(`${rfTable} [data-total="opening"]`)).toBe(moneyText(rows[0]!.opening, currency));
      expect(await textOf(`${rfTable} [data-total="billings"]`)).toBe(sum((r) => r.billings));
      expect(await textOf(`${rfTable} [data-total="recognized"]`)).toBe(sum((r) => r.recognized));
      expect(await textOf(`${rfTable} [data-total="contra"]`)).toBe(sum((r) => r.contra));
      expect(await textOf(`${rfTable} [data-total="closing"]`)).toBe(
        moneyText(rows[rows.length - 1]!.closing, currency),
      );
      const t = tb.totals.find((x) => x.currency === currency)!;
      expect(await textOf(`${section} [data-table="trial-balance"] [data-total="debits"]`)).toBe(
        moneyText(t.debits, currency),
      );
      expect(await textOf(`${section} [data-table="trial-balance"] [data-total="net"]`)).toBe(moneyText(0n, currency));
    });
  }

  it('matches the hand-checked fixture figures', async () => {
    // From the fixture's header: USD revenue 116.53 (Jan) + 96.27 (Feb) + 224.70 (Mar), the
    // duplicated recognition netted out by its reversal; JPY 6,000 in each of Feb and Mar.
    expect(await textOf('section[data-currency="usd"] [data-total="waterfall"]')).toBe('437.50');
    expect(await textOf('section[data-currency="usd"] [data-column-total="2026-03"]')).toBe('224.70');
    expect(await textOf('section[data-currency="jpy"] [data-total="waterfall"]')).toBe('12,000');
    // USD deferred revenue: 300 + 97.50 + 40 + 200 billed, 100 refunded back out, 437.50 recognized.
    expect(await textOf('section[data-currency="usd"] [data-role="deferred_revenue"] [data-total="closing"]')).toBe(
      '100.00',
    );
    expect(await textOf('section[data-currency="usd"] [data-role="deferred_revenue"] [data-total="contra"]')).toBe(
      '100.00',
    );
    expect(await page.locator('section[data-currency="usd"] td.tie', { hasText: 'off by' }).count()).toBe(0);
  });

  it('shows hostile account names as plain text', async () => {
    const names = await inPage<string[]>(
      `Array.from(document.querySelectorAll('section[data-currency="usd"] [data-table="trial-balance"] tbody th')).map(e => e.textContent)`,
    );
    expect(names).toContain(NASTY_NAME);
    expect(await page.locator('section[data-section="qbo"] tr.off').innerText()).toContain('R&D <lab>');
  });

  it('loads with no console errors and fetches nothing but the file itself', () => {
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([fileUrl]);
  });

  it('renders to a screenshot', async () => {
    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    // A blank or broken page compresses to a few kilobytes; this one has four charts and tables.
    expect(statSync(shot).size).toBeGreaterThan(50_000);
  });
});
