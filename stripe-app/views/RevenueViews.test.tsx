/**
 * Proves the revenue views: the home overview draws recognized revenue (bar chart) and deferred
 * revenue (line chart) from the waterfall and roll-forward endpoints, lists both as tables in
 * major units, asks again when the period count changes, and has loading, empty and error
 * states; the invoice and customer drawers read the object on screen (objectContext.id), show
 * its schedule, invoices and journal entries, and treat "not booked yet" (404) as empty.
 */
import { render } from '@stripe/ui-extension-sdk/testing';
import {
  BarChart,
  Badge,
  Banner,
  LineChart,
  PropertyListItem,
  Select,
  Spinner,
  TableCell,
} from '@stripe/ui-extension-sdk/ui';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type {
  CustomerDetailResponse,
  EntrySummary,
  InvoiceDetailResponse,
  RollforwardResponse,
  WaterfallResponse,
} from '../../shared/api/app.ts';
import type { RevenueBridgeResponse } from '../../shared/api/cockpit.ts';
import { contextFor, fail, fakeBackend, never, ok, settle } from '../testing/fakeBackend.ts';
import CustomerRevenue from './CustomerRevenue.tsx';
import InvoiceRevenue, { scheduleByPeriod } from './InvoiceRevenue.tsx';
import RevenueOverview from './RevenueOverview.tsx';
import { currency as currencyOf } from '../../shared/money.ts';

vi.mock('@stripe/ui-extension-sdk/signature', () => ({ default: vi.fn(async () => 't=1700000000,v1=fake') }));
vi.mock('@stripe/ui-extension-sdk/utils', () => ({
  showToast: vi.fn(async () => ({ update: () => undefined, dismiss: () => undefined })),
}));

afterEach(() => vi.unstubAllGlobals());

const WATERFALL: WaterfallResponse = {
  currency: currencyOf('usd'),
  periods: ['2026-09', '2026-10', '2026-11'],
  rows: [
    {
      booked_period: '2026-09',
      booked_minor: '120000',
      recognized_minor: ['10000', '10000', '10000'],
      remaining_minor: '90000',
    },
    {
      booked_period: '2026-10',
      booked_minor: '6000',
      recognized_minor: ['0', '2000', '2000'],
      remaining_minor: '2000',
    },
  ],
  totals_minor: ['10000', '12000', '12000'],
};

const ROLLFORWARD: RollforwardResponse = {
  currency: currencyOf('usd'),
  rows: [
    {
      period: '2026-09',
      opening_minor: '0',
      billings_minor: '120000',
      recognized_minor: '10000',
      contra_minor: '0',
      fx_minor: '0',
      closing_minor: '110000',
    },
    {
      period: '2026-10',
      opening_minor: '110000',
      billings_minor: '6000',
      recognized_minor: '12000',
      contra_minor: '0',
      fx_minor: '0',
      closing_minor: '104000',
    },
    {
      period: '2026-11',
      opening_minor: '104000',
      billings_minor: '0',
      recognized_minor: '12000',
      contra_minor: '0',
      fx_minor: '0',
      closing_minor: '92000',
    },
  ],
};

/** 374.00 revenue = 340.00 waterfall + 34.00 unbilled accruals; 340.00 = 350.00 recognized − 10.00 moved to unbilled. */
const BRIDGE: RevenueBridgeResponse = {
  currency: currencyOf('usd'),
  from_period: '2026-09',
  through_period: '2026-11',
  income_minor: '38650',
  other_income: [{ role: 'shipping', amount_minor: '1250' }],
  revenue_minor: '37400',
  outside_waterfall: [{ kind: 'unbilled_accrual', amount_minor: '3400' }],
  waterfall_minor: '34000',
  reversals_of_recognition_minor: '0',
  recognition_other_accounts: [{ role: 'unbilled_receivable', amount_minor: '-1000' }],
  rollforward_recognized_minor: '35000',
  ties_out: true,
};

const ENTRY: EntrySummary = {
  id: 'je_1',
  kind: 'recognition',
  posting_date: '2026-10-31',
  period: '2026-10',
  memo: 'Revenue recognized for October',
  correction: false,
  qbo_id: '1234',
  currency: currencyOf('usd'),
  lines: [
    { role: 'deferred_revenue', account: 'Deferred Revenue', amount_minor: '10000' },
    { role: 'revenue', account: 'Services', amount_minor: '-10000' },
  ],
};

describe('RevenueOverview', () => {
  const ctx = () => contextFor({ viewportID: 'stripe.dashboard.home.overview' });

  it('shows loading, then the charts and tables in major units', async () => {
    const { calls } = fakeBackend({
      'GET /reports/waterfall': () => ok(WATERFALL),
      'GET /reports/rollforward': () => ok(ROLLFORWARD),
      'GET /reports/revenue-bridge': () => ok(BRIDGE),
    });
    const { wrapper, update } = render(<RevenueOverview {...ctx()} />);
    expect(wrapper).toContainComponent(Spinner);
    await settle(update);
    expect(wrapper.find(BarChart)!.prop('data')).toEqual([
      { period: 'Sep 2026', recognized: 100 },
      { period: 'Oct 2026', recognized: 120 },
      { period: 'Nov 2026', recognized: 120 },
    ]);
    expect(wrapper.find(LineChart)!.prop('data')).toEqual([
      { period: 'Sep 2026', deferred: 1100 },
      { period: 'Oct 2026', deferred: 1040 },
      { period: 'Nov 2026', deferred: 920 },
    ]);
    const cells = wrapper.findAll(TableCell).map((c) => c.text);
    expect(cells).toContain('1,100.00 USD');
    expect(cells).toContain('920.00 USD');
    expect(cells).toContain('900.00 USD');
    expect(calls.map((c) => `${c.path}?${c.query}`).sort()).toEqual([
      '/reports/revenue-bridge?periods=6',
      '/reports/rollforward?periods=6',
      '/reports/waterfall?periods=6',
    ]);
  });

  it('shows the three revenue totals and the items between them, tied', async () => {
    fakeBackend({
      'GET /reports/waterfall': () => ok(WATERFALL),
      'GET /reports/rollforward': () => ok(ROLLFORWARD),
      'GET /reports/revenue-bridge': () => ok(BRIDGE),
    });
    const { wrapper, update } = render(<RevenueOverview {...ctx()} />);
    await settle(update);
    const cells = wrapper.findAll(TableCell).map((c) => c.text);
    const at = (label: RegExp) => cells[cells.findIndex((c) => label.test(c)) + 1];
    expect(at(/^Income \(income statement\)$/)).toBe('386.50 USD');
    expect(at(/shipping \(income, not subscription revenue\)$/)).toBe('-12.50 USD');
    expect(at(/^Revenue \(trial balance\)$/)).toBe('374.00 USD');
    expect(at(/earned before it was invoiced/)).toBe('-34.00 USD');
    expect(at(/^Revenue waterfall$/)).toBe('340.00 USD');
    expect(at(/moved on unbilled receivable/)).toBe('10.00 USD');
    expect(at(/roll-forward: recognized$/)).toBe('350.00 USD');
    expect(wrapper).toContainComponent(Badge, { type: 'positive' });
    expect(wrapper).toContainText('Sep 2026 to Nov 2026');
  });

  it('asks for more periods when the merchant changes the range', async () => {
    const { calls } = fakeBackend({
      'GET /reports/waterfall': () => ok(WATERFALL),
      'GET /reports/rollforward': () => ok(ROLLFORWARD),
    });
    const { wrapper, update } = render(<RevenueOverview {...ctx()} />);
    await settle(update);
    wrapper.find(Select, { name: 'periods' })!.trigger('onChange', { target: { value: '12' } });
    await settle(update);
    expect(calls.filter((c) => c.query === 'periods=12').length).toBe(3);
  });

  it('says when there is no revenue yet', async () => {
    fakeBackend({
      'GET /reports/waterfall': () => ok({ currency: 'usd', periods: [], rows: [], totals_minor: [] }),
      'GET /reports/rollforward': () => ok({ currency: 'usd', rows: [] }),
    });
    const { wrapper, update } = render(<RevenueOverview {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainText('No revenue recorded yet');
    expect(wrapper.find(BarChart)).toBeNull();
  });

  it('shows the backend error', async () => {
    fakeBackend({
      'GET /reports/waterfall': () => fail(503, 'not_configured', 'Accrue is still importing your history.'),
      'GET /reports/rollforward': () => ok(ROLLFORWARD),
    });
    const { wrapper, update } = render(<RevenueOverview {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainComponent(Banner, {
      type: 'critical',
      description: 'Accrue is still importing your history.',
    });
  });
});

describe('InvoiceRevenue', () => {
  const ctx = () => contextFor({ viewportID: 'stripe.dashboard.invoice.detail', objectId: 'in_42', object: 'invoice' });
  const INVOICE: InvoiceDetailResponse = {
    invoice_id: 'in_42',
    number: 'A-0042',
    customer_id: 'cus_9',
    currency: currencyOf('usd'),
    booked_on: '2026-09-01',
    schedule: [
      {
        invoice_line: 'il_1',
        description: 'Pro plan (Sep 2026 – Aug 2027)',
        product: 'prod_a',
        service_start: '2026-09-01',
        service_end: '2027-09-01',
        amount_minor: '120000',
        recognized_minor: '30000',
        deferred_minor: '90000',
        periods: [
          { period: '2026-09', amount_minor: '10000', recognized: true },
          { period: '2026-10', amount_minor: '10000', recognized: false },
        ],
      },
      {
        invoice_line: 'il_2',
        description: 'Setup fee',
        product: 'prod_setup',
        service_start: '2026-09-01',
        service_end: '2026-10-01',
        amount_minor: '5000',
        recognized_minor: '5000',
        deferred_minor: '0',
        periods: [{ period: '2026-09', amount_minor: '5000', recognized: true }],
      },
    ],
    entries: [ENTRY],
  };

  it('loads the invoice on screen and shows its schedule and entries', async () => {
    const { calls } = fakeBackend({ 'GET /invoices/in_42': () => ok(INVOICE) });
    const { wrapper, update } = render(<InvoiceRevenue {...ctx()} />);
    expect(wrapper).toContainComponent(Spinner);
    await settle(update);
    expect(calls[0]!.path).toBe('/invoices/in_42');
    expect(calls[0]!.headers['stripe-signature']).toBe('t=1700000000,v1=fake');
    const cells = wrapper.findAll(TableCell).map((c) => c.text);
    expect(cells).toContain('Pro plan (Sep 2026 – Aug 2027)');
    expect(cells).toContain('900.00 USD');
    // By period, all lines together: September 100.00 + 50.00, recognized; October scheduled.
    expect(scheduleByPeriod(INVOICE.schedule)).toEqual([
      { period: '2026-09', amount_minor: '15000', recognized: true },
      { period: '2026-10', amount_minor: '10000', recognized: false },
    ]);
    expect(cells).toContain('150.00 USD');
    expect(wrapper.findAll(Badge).map((b) => b.text)).toEqual(['Recognized', 'Scheduled', 'Posted']);
    expect(wrapper).toContainText('Dr Deferred Revenue 100.00');
    expect(wrapper).toContainText('Cr Services 100.00');
    expect(wrapper).toContainComponent(Badge, { type: 'positive' });
  });

  it('treats an invoice Accrue has not booked as empty, not as an error', async () => {
    fakeBackend({ 'GET /invoices/in_42': () => fail(404, 'not_found', 'no such invoice') });
    const { wrapper, update } = render(<InvoiceRevenue {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainText('Accrue has not booked this invoice yet');
    expect(wrapper.find(Banner)).toBeNull();
  });

  it('shows other failures with a retry', async () => {
    fakeBackend({ 'GET /invoices/in_42': () => fail(502, 'upstream_unavailable', 'Database unavailable.') });
    const { wrapper, update } = render(<InvoiceRevenue {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainComponent(Banner, { type: 'critical', title: 'Could not load this invoice' });
  });
});

describe('CustomerRevenue', () => {
  const ctx = () =>
    contextFor({ viewportID: 'stripe.dashboard.customer.detail', objectId: 'cus_9', object: 'customer' });
  const CUSTOMER: CustomerDetailResponse = {
    customer_id: 'cus_9',
    currency: currencyOf('usd'),
    recognized_minor: '30000',
    deferred_minor: '90000',
    invoices: [
      {
        invoice_id: 'in_42',
        number: 'A-0042',
        booked_on: '2026-09-01',
        total_minor: '120000',
        recognized_minor: '30000',
        deferred_minor: '90000',
      },
    ],
    entries: [ENTRY],
  };

  it('loads the customer on screen and shows totals, invoices and entries', async () => {
    const { calls } = fakeBackend({ 'GET /customers/cus_9': () => ok(CUSTOMER) });
    const { wrapper, update } = render(<CustomerRevenue {...ctx()} />);
    await settle(update);
    expect(calls[0]!.path).toBe('/customers/cus_9');
    expect(wrapper.find(PropertyListItem, { label: 'Deferred' })!.prop('value')).toBe('900.00 USD');
    expect(wrapper.findAll(TableCell).map((c) => c.text)).toContain('A-0042');
    expect(wrapper).toContainText('Revenue recognized for October');
  });

  it('shows a failure with the backend message', async () => {
    fakeBackend({ 'GET /customers/cus_9': () => fail(500, 'internal', 'Report failed.') });
    const { wrapper, update } = render(<CustomerRevenue {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainComponent(Banner, {
      type: 'critical',
      title: 'Could not load this customer',
      description: 'Report failed.',
    });
  });

  it('shows loading while waiting and an empty state for a customer with nothing booked', async () => {
    fakeBackend({ 'GET /customers/cus_9': never });
    const loading = render(<CustomerRevenue {...ctx()} />);
    await loading.update();
    expect(loading.wrapper).toContainComponent(Spinner);
    vi.unstubAllGlobals();
    fakeBackend({
      'GET /customers/cus_9': () =>
        ok({ ...CUSTOMER, invoices: [], entries: [], recognized_minor: '0', deferred_minor: '0' }),
    });
    const empty = render(<CustomerRevenue {...ctx()} />);
    await settle(empty.update);
    expect(empty.wrapper).toContainText('No invoices booked for this customer yet.');
  });
});
