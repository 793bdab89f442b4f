/**
 * The demo report as a controller would send it, rendered in headless Chromium from a small
 * seeded book (fourteen invoices booked a month apart, each earned over three months, a shipping
 * charge, three open exceptions), not from the full demo. Checked in the browser: the page never
 * overflows its width (at a desktop and at a phone width — the waterfall scrolls inside its own
 * box instead), every chart legend uses distinct colours, money carries thousands separators and
 * its currency, the exceptions are listed with reasons and next steps, the MRR and forward
 * schedule charts are drawn, and the revenue bridge is on the page with the shipping line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { moneyText, percentText, seriesColour } from '../../backend/demo/report-format.ts';
import { renderDemoReport, type DemoReportInput } from '../../backend/demo/report-html.ts';
import { exceptionSummary, nextStepOf, postingSummary } from '../../backend/demo/report-sections.ts';
import type { LocalDate } from '../../shared/journal.ts';
import { currency as currencyOf } from '../../shared/money.ts';
import { periodCalendar, periodsBetween } from '../../shared/periods.ts';
import { prng } from '../../shared/prng.ts';
import { ledgerLinesOf } from '../../shared/reports/fixtures/sample-ledger.ts';
import {
  remainingObligations,
  revenueBridge,
  saasMetrics,
  waterfall,
  type RecurringItem,
} from '../../shared/reports/index.ts';
import { addMonthsToMonthStart, endOfMonth } from '../../shared/time.ts';
import { chromiumPlan, launchChromium } from '../support/browser.ts';

const SEED = 16;
/** Booking months: more than the seven base colours, so the legend needs generated ones. */
const INVOICES = 14;
const FIRST_MONTH = '2025-01-01';
const USD = currencyOf('usd');

/** The seeded book: its ledger entries, the recurring items behind MRR and the recognition schedule. */
function seededBook() {
  const random = prng(SEED);
  const entries: Parameters<typeof ledgerLinesOf>[0][number][] = [];
  const items: RecurringItem[] = [];
  const schedule: {
    invoice: string;
    customer: string;
    product: string;
    postingDate: LocalDate;
    amountMinor: bigint;
  }[] = [];
  for (let i = 0; i < INVOICES; i++) {
    const booked = addMonthsToMonthStart(FIRST_MONTH, i);
    // 1,000.00 to 49,999.99 USD a quarter, a multiple of 3 cents so each month gets the same share.
    const amount = (100_000n + BigInt(Math.floor(random() * 4_900_000))) * 3n;
    const invoice = `in_${i}`;
    const tag = { invoice, invoiceLine: `il_${i}`, customer: `cus_${i % 5}`, product: 'prod_pro', bookedOn: booked };
    entries.push({
      id: `je_inv_${i}`,
      key: `inv:${invoice}`,
      kind: 'invoice_finalized',
      date: booked,
      memo: `Invoice ${invoice}`,
      sources: [invoice],
      lines: [
        { role: 'receivable', amountMinor: amount, ...tag },
        { role: 'deferred_revenue', amountMinor: -amount, ...tag },
      ],
    });
    items.push({
      customer: tag.customer,
      invoice,
      invoiceLine: tag.invoiceLine,
      product: 'prod_pro',
      start: booked,
      end: addMonthsToMonthStart(booked, 3),
      amountMinor: amount,
    });
    for (let m = 0; m < 3; m++) {
      const day = endOfMonth(addMonthsToMonthStart(booked, m));
      schedule.push({
        invoice,
        customer: tag.customer,
        product: 'prod_pro',
        postingDate: day,
        amountMinor: amount / 3n,
      });
      if (day > '2026-02-28') continue;
      entries.push({
        id: `je_rec_${i}_${m}`,
        key: `rec:${invoice}:${m}`,
        kind: 'recognition',
        date: day,
        memo: `Revenue of ${invoice}`,
        sources: [invoice],
        lines: [
          { role: 'deferred_revenue', amountMinor: amount / 3n, ...tag },
          { role: 'revenue', account: 'Subscription Revenue', amountMinor: -(amount / 3n), ...tag },
        ],
      });
    }
  }
  entries.push({
    id: 'je_ship',
    key: 'inv:in_ship',
    kind: 'invoice_finalized',
    date: '2025-06-10',
    memo: 'Shipping on in_ship',
    sources: ['in_ship'],
    lines: [
      { role: 'receivable', amountMinor: 125_000n, invoice: 'in_ship' },
      { role: 'shipping', account: 'Shipping Revenue', amountMinor: -125_000n, invoice: 'in_ship' },
    ],
  });
  return { lines: ledgerLinesOf(entries), items, schedule };
}

const EXCEPTIONS = [
  { id: '11', kind: 'engine', objectId: 'in_7', reason: 'the invoice has a line with no service period' },
  { id: '12', kind: 'mapping', objectId: 'prod_gift', reason: 'product prod_gift has no revenue account' },
  { id: '13', kind: 'qbo_post', objectId: 'ACR-2026-02-01', reason: 'QuickBooks refused the entry: account inactive' },
];

function reportInput(): DemoReportInput {
  const { lines, items, schedule } = seededBook();
  const periods = periodsBetween(periodCalendar({ type: 'monthly' }), FIRST_MONTH, '2026-02-28');
  return {
    title: 'Seeded books',
    generatedAt: 'Mar 1, 2026',
    lines,
    periods,
    primaryCurrency: USD,
    summary: [
      { label: 'QuickBooks', value: postingSummary([{ state: 'posted', count: 24 }]) },
      { label: 'Open exceptions', value: exceptionSummary([{ kind: 'engine', count: 3 }], []) },
    ],
    exceptions: { list: EXCEPTIONS, total: EXCEPTIONS.length },
    metrics: saasMetrics(items, { currency: USD, fromMonth: '2025-01', throughMonth: '2026-02' }),
    rpo: remainingObligations(schedule, { currency: USD, asOf: '2026-02-28', ledgerLines: lines }),
  };
}

describe('the controller report as text', () => {
  it('groups thousands and names the currency, through the exact digits', () => {
    expect(moneyText(123456789n, USD)).toBe('1,234,567.89');
    expect(moneyText(-100000n, USD)).toBe('-1,000.00');
    expect(moneyText(999n, USD)).toBe('9.99');
    expect(moneyText(12000n, currencyOf('jpy'))).toBe('12,000');
    expect(percentText('1.0250')).toBe('102.50 %');
    expect(percentText('0.9731')).toBe('97.31 %');
    expect(percentText(null)).toBe('–');
  });

  it('gives every series its own colour, well past the base palette', () => {
    const colours = Array.from({ length: 60 }, (_, i) => seriesColour(i));
    expect(new Set(colours).size).toBe(colours.length);
  });

  it('says what counts mean', () => {
    expect(postingSummary([{ state: 'posted', count: 24 }])).toBe('24 journal entries posted to QuickBooks');
    expect(
      postingSummary([
        { state: 'posted', count: 1 },
        { state: 'failed', count: 2 },
      ]),
    ).toBe('1 journal entry posted to QuickBooks, 2 journal entries failed to post (see the exceptions)');
    expect(exceptionSummary([{ kind: 'engine', count: 8 }], [])).toContain('8 need a person (8 engine)');
  });

  it('shows the bridge with shipping as its own line, and it ties', () => {
    const input = reportInput();
    const html = renderDemoReport(input);
    const usd = revenueBridge(input.lines).currencies[0]!;
    expect(usd.tiesOut).toBe(true);
    expect(html).toContain('data-bridge="other_income:shipping"');
    expect(html).toContain(
      `data-bridge="income"><th scope="row">Income in the income statement</th><td class="num">${moneyText(usd.income, USD)}</td>`,
    );
    expect(html).toContain('data-bridge-ties="true"');
    // The waterfall total on the page is the bridge's waterfall line.
    expect(html).toContain(`data-total="waterfall">${moneyText(waterfall(input.lines).currencies[0]!.total, USD)}<`);
  });
});

const plan = chromiumPlan();

describe.skipIf(!plan.run && !plan.fail)('the controller report in headless Chromium', () => {
  let browser: Browser | undefined;
  let page: Page;
  const html = renderDemoReport(reportInput());
  const inPage = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;

  beforeAll(async () => {
    if (!plan.run) throw new Error(plan.reason);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.setContent(html, { waitUntil: 'load' });
  });
  afterAll(async () => {
    // CONTROLLER_REPORT_KEEP=<dir> keeps the page and a screenshot for a person to look at.
    const keep = process.env.CONTROLLER_REPORT_KEEP;
    if (keep && browser) {
      writeFileSync(join(keep, 'report.html'), html);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: join(keep, 'report.png'), fullPage: true });
    }
    await browser?.close();
  });

  for (const width of [1280, 390]) {
    it(`never overflows the page at ${width} px; the waterfall scrolls in its own box`, async () => {
      await page.setViewportSize({ width, height: 900 });
      const page_ = await inPage<{ scroll: number; client: number }>(
        `({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })`,
      );
      expect(page_.scroll).toBeLessThanOrEqual(page_.client);
      const box = await inPage<{ overflow: string; boxRight: number; columns: number }>(
        `(() => { const t = document.querySelector('section[data-currency="usd"] table[data-table="waterfall"]'); const box = t.closest('.scroll'); return { overflow: getComputedStyle(box).overflowX, boxRight: box.getBoundingClientRect().right, columns: t.querySelectorAll('thead th').length }; })()`,
      );
      expect(box.overflow).toBe('auto');
      expect(box.boxRight).toBeLessThanOrEqual(width);
      // Booked \ Recognized, one column per month of the book, and the total: nothing cut off.
      expect(box.columns).toBe(1 + 14 + 1);
    });
  }

  it('uses distinct colours in every legend', async () => {
    const legends = await inPage<string[][]>(
      `Array.from(document.querySelectorAll('ul.legend')).map(ul => Array.from(ul.querySelectorAll('.swatch')).map(s => getComputedStyle(s).backgroundColor))`,
    );
    expect(legends.length).toBeGreaterThanOrEqual(4);
    const waterfallLegend = legends.find((l) => l.length === INVOICES);
    expect(waterfallLegend).toBeDefined();
    for (const legend of legends) expect(new Set(legend).size).toBe(legend.length);
  });

  it('shows money with thousands separators and its currency', async () => {
    const text = await page.locator('main').innerText();
    expect(text).toMatch(/\b\d{1,3}(,\d{3})+\.\d{2} USD\b/);
    const cells = await inPage<string[]>(`Array.from(document.querySelectorAll('td.num')).map(td => td.textContent)`);
    const big = cells.filter((c) => /\d{4}/.test(c.replace(/,/g, '')) && /^-?[\d,]+\.\d{2}$/.test(c));
    expect(big.length).toBeGreaterThan(20);
    for (const c of big) expect(c).toMatch(/^-?\d{1,3}(,\d{3})*\.\d{2}$/);
    expect(text).toContain('24 journal entries posted to QuickBooks');
  });

  it('lists the open exceptions with their reasons and next steps', async () => {
    const rows = await inPage<{ reason: string; next: string }[]>(
      `Array.from(document.querySelectorAll('section[data-section="exceptions"] tbody tr')).map(tr => ({ reason: tr.cells[2].innerText, next: tr.cells[3].innerText }))`,
    );
    expect(rows).toEqual(EXCEPTIONS.map((e) => ({ reason: e.reason, next: nextStepOf(e.kind) })));
  });

  it('draws the MRR and forward schedule charts', async () => {
    const bars = await inPage<Record<string, number[]>>(
      `Object.fromEntries(['mrr', 'rpo'].map(c => [c, Array.from(document.querySelectorAll('svg[data-chart="' + c + '"] [data-bar]')).map(b => b.getBoundingClientRect().height)]))`,
    );
    expect(bars['mrr']).toHaveLength(14);
    expect(bars['rpo']!.length).toBeGreaterThan(0);
    for (const h of [...bars['mrr']!, ...bars['rpo']!]) expect(h).toBeGreaterThan(0);
  });
});
