/**
 * Proves the cockpit views with the SDK's test renderer: the metrics view charts MRR at each
 * month end and the movements one series per movement (decreases below zero), lists every
 * metric with its definition and retention as percentages, asks again when the range changes,
 * and has loading, empty and error states; the forward schedule shows the as-of date in the
 * Dashboard's style, current versus non-current in the chart and the totals, whether it ties to
 * the books, and the customers and products.
 */
import { render } from '@stripe/ui-extension-sdk/testing';
import { Badge, Banner, BarChart, LineChart, Select, Spinner, TableCell } from '@stripe/ui-extension-sdk/ui';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MetricsResponse, RpoResponse } from '../../shared/api/cockpit.ts';
import { currency as currencyOf } from '../../shared/money.ts';
import { calendarDate, calendarMonth, percent } from '../components/format.ts';
import { contextFor, fail, fakeBackend, ok, settle } from '../testing/fakeBackend.ts';
import ForwardSchedule from './ForwardSchedule.tsx';
import SaasMetrics from './SaasMetrics.tsx';

vi.mock('@stripe/ui-extension-sdk/signature', () => ({ default: vi.fn(async () => 't=1700000000,v1=fake') }));
vi.mock('@stripe/ui-extension-sdk/utils', () => ({
  showToast: vi.fn(async () => ({ update: () => undefined, dismiss: () => undefined })),
}));

afterEach(() => vi.unstubAllGlobals());

const USD = currencyOf('usd');
const month = (
  m: string,
  opening: string,
  closing: string,
  extra: Partial<MetricsResponse['months'][number]> = {},
) => ({
  month: m,
  opening_minor: opening,
  new_minor: '0',
  expansion_minor: '0',
  contraction_minor: '0',
  churn_minor: '0',
  reactivation_minor: '0',
  closing_minor: closing,
  arr_minor: String(BigInt(closing) * 12n),
  customers: 2,
  arpa_minor: String(BigInt(closing) / 2n),
  net_revenue_retention: null,
  gross_revenue_retention: null,
  ...extra,
});

const METRICS: MetricsResponse = {
  currency: USD,
  months: [
    month('2026-01', '0', '15000', { new_minor: '15000' }),
    month('2026-02', '15000', '20000', {
      new_minor: '10000',
      churn_minor: '5000',
      net_revenue_retention: '0.6667',
      gross_revenue_retention: '0.6667',
    }),
  ],
  definitions: { mrr: 'Monthly recurring revenue of active and past-due subscriptions.', arr: 'MRR × 12.' },
  skipped: [{ invoice: 'in_x', reason: 'no booking rate for EUR' }],
  skipped_count: 1,
};

describe('format helpers', () => {
  it('writes dates, months and ratios the way the Dashboard does', () => {
    expect(calendarDate('2021-01-03')).toBe('Jan 3, 2021');
    expect(calendarMonth('2026-12')).toBe('Dec 2026');
    expect(percent('0.9731')).toBe('97.31 %');
    expect(percent('1.2500')).toBe('125.00 %');
    expect(percent('0.0050')).toBe('0.50 %');
    expect(percent(null)).toBe('–');
  });
});

describe('SaasMetrics', () => {
  const ctx = () => contextFor({ viewportID: 'stripe.dashboard.subscription.list' });

  it('shows loading, then MRR, the movements and the definitions', async () => {
    const { calls } = fakeBackend({ 'GET /reports/metrics': () => ok(METRICS) });
    const { wrapper, update } = render(<SaasMetrics {...ctx()} />);
    expect(wrapper).toContainComponent(Spinner);
    await settle(update);
    expect(wrapper.find(LineChart)!.prop('data')).toEqual([
      { month: 'Jan 2026', mrr: 150 },
      { month: 'Feb 2026', mrr: 200 },
    ]);
    const bars = wrapper.find(BarChart)!;
    expect(bars.prop('color')).toBe('movement');
    const feb = (bars.prop('data') as { month: string; movement: string; amount: number }[]).filter(
      (d) => d.month === 'Feb 2026',
    );
    expect(feb.find((d) => d.movement === 'New')!.amount).toBe(100);
    expect(feb.find((d) => d.movement === 'Churn')!.amount).toBe(-50);
    expect(new Set(feb.map((d) => d.movement)).size).toBe(5);
    const cells = wrapper.findAll(TableCell).map((c) => c.text);
    expect(cells).toContain('200.00 USD');
    expect(cells).toContain('2,400.00 USD');
    expect(cells).toContain('-50.00 USD');
    expect(cells).toContain('66.67 %');
    expect(cells).toContain('Monthly recurring revenue of active and past-due subscriptions.');
    expect(wrapper).toContainText('in_x (no booking rate for EUR)');
    expect(calls.map((c) => `${c.path}?${c.query}`)).toEqual(['/reports/metrics?months=12']);
  });

  it('asks for another range when the merchant changes it', async () => {
    const { calls } = fakeBackend({ 'GET /reports/metrics': () => ok(METRICS) });
    const { wrapper, update } = render(<SaasMetrics {...ctx()} />);
    await settle(update);
    wrapper.find(Select, { name: 'months' })!.trigger('onChange', { target: { value: '24' } });
    await settle(update);
    expect(calls.map((c) => c.query)).toContain('months=24');
  });

  it('says when there is no recurring revenue yet', async () => {
    fakeBackend({
      'GET /reports/metrics': () =>
        ok({ ...METRICS, months: [month('2026-01', '0', '0')], skipped: [], skipped_count: 0 }),
    });
    const { wrapper, update } = render(<SaasMetrics {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainText('No recurring revenue yet');
    expect(wrapper.find(LineChart)).toBeNull();
  });

  it('shows the backend error', async () => {
    fakeBackend({
      'GET /reports/metrics': () => fail(503, 'not_configured', 'Accrue is still importing your history.'),
    });
    const { wrapper, update } = render(<SaasMetrics {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainComponent(Banner, {
      type: 'critical',
      description: 'Accrue is still importing your history.',
    });
  });
});

const RPO: RpoResponse = {
  currency: USD,
  as_of: '2026-03-31',
  current_through: '2027-03-31',
  current_minor: '120000',
  non_current_minor: '30000',
  total_minor: '150000',
  ledger_deferred_minor: '150000',
  ties_out: true,
  months: [
    { month: '2026-04', amount_minor: '10000', current: true },
    { month: '2027-04', amount_minor: '30000', current: false },
  ],
  customers: [{ id: 'cus_1', current_minor: '120000', non_current_minor: '30000', total_minor: '150000' }],
  products: [{ id: 'prod_1', current_minor: '120000', non_current_minor: '30000', total_minor: '150000' }],
};

describe('ForwardSchedule', () => {
  const ctx = () => contextFor({ viewportID: 'stripe.dashboard.invoice.list' });

  it('shows the schedule as of the release date, split current and non-current, tied to the books', async () => {
    const { calls } = fakeBackend({ 'GET /reports/rpo': () => ok(RPO) });
    const { wrapper, update } = render(<ForwardSchedule {...ctx()} />);
    expect(wrapper).toContainComponent(Spinner);
    await settle(update);
    expect(wrapper).toContainText('As of Mar 31, 2026');
    expect(wrapper).toContainText('recognized by Mar 31, 2027');
    expect(wrapper.find(BarChart)!.prop('data')).toEqual([
      { month: 'Apr 2026', amount: 100, part: 'Current (next 12 months)' },
      { month: 'Apr 2027', amount: 300, part: 'Non-current' },
    ]);
    const cells = wrapper.findAll(TableCell).map((c) => c.text);
    expect(cells).toContain('1,200.00 USD');
    expect(cells).toContain('1,500.00 USD');
    expect(cells).toContain('cus_1');
    expect(cells).toContain('prod_1');
    expect(wrapper).toContainComponent(Badge, { type: 'positive' });
    expect(calls.map((c) => c.path)).toEqual(['/reports/rpo']);
  });

  it('warns when the schedule does not tie to the books', async () => {
    fakeBackend({ 'GET /reports/rpo': () => ok({ ...RPO, ties_out: false, ledger_deferred_minor: '149999' }) });
    const { wrapper, update } = render(<ForwardSchedule {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainComponent(Badge, { type: 'warning' });
  });

  it('says when nothing is left to earn, and shows errors', async () => {
    fakeBackend({
      'GET /reports/rpo': () =>
        ok({
          ...RPO,
          months: [],
          customers: [],
          products: [],
          total_minor: '0',
          current_minor: '0',
          non_current_minor: '0',
        }),
    });
    const first = render(<ForwardSchedule {...ctx()} />);
    await settle(first.update);
    expect(first.wrapper).toContainText('Nothing left to earn');
    vi.unstubAllGlobals();
    fakeBackend({ 'GET /reports/rpo': () => fail(422, 'invalid_input', 'revenue is released through 2026-03-31') });
    const second = render(<ForwardSchedule {...ctx()} />);
    await settle(second.update);
    expect(second.wrapper).toContainComponent(Banner, { description: 'revenue is released through 2026-03-31' });
  });
});
