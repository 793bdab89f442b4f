// Period-end revaluation beyond its golden (fx-revaluation-reversed): off by default, deferred
// revenue never restated, a currency without a usable rate (missing or zero) raises an exception
// and books nothing while the others book, an estimated rate books with a warning; and a foreign
// Stripe balance: payouts with and without the list of what they paid out, a dispute, a GBP charge.
import { describe, expect, it } from 'vitest';
import { minor } from '../money.ts';
import { periodCalendar } from '../periods.ts';
import { TenantSettingsSchema, type TenantSettings } from '../settings.ts';
import { startOfDay } from '../time.ts';
import type { BalanceTxnFact, PayoutFact } from './facts.ts';
import { runEngine } from './index.ts';
import { revaluationEntries, type RevaluedLine } from './revaluation.ts';

const eur = 'eur' as TenantSettings['functional_currency'];
const jpy = 'jpy' as TenantSettings['functional_currency'];
const JAN = periodCalendar({ type: 'monthly' }).periodOf('2026-01-15');

function settings(rates: { date: string; from: string; to: string; rate: string }[], on = true): TenantSettings {
  return TenantSettingsSchema.parse({ revalue_monetary_balances: on, fx_rates: rates });
}

const held: RevaluedLine[] = [
  {
    entryKey: 'inv:a',
    postingDate: '2026-01-10',
    role: 'receivable',
    amountMinor: 11000n,
    original: { currency: eur, amountMinor: 10000n },
  },
  {
    entryKey: 'inv:a',
    postingDate: '2026-01-10',
    role: 'deferred_revenue',
    amountMinor: -11000n,
    original: { currency: eur, amountMinor: -10000n },
  },
  {
    entryKey: 'inv:b',
    postingDate: '2026-01-11',
    role: 'receivable',
    amountMinor: 70000n,
    original: { currency: jpy, amountMinor: 100000n },
  },
  {
    entryKey: 'inv:b',
    postingDate: '2026-01-11',
    role: 'deferred_revenue',
    amountMinor: -70000n,
    original: { currency: jpy, amountMinor: -100000n },
  },
];

describe('period-end revaluation', () => {
  it('books nothing when the setting is off (the default)', () => {
    const off = settings([{ date: '2026-01-31', from: 'eur', to: 'usd', rate: '1.20' }], false);
    expect(revaluationEntries(held, off, [JAN]).entries).toEqual([]);
    expect(TenantSettingsSchema.parse({}).revalue_monetary_balances).toBe(false);
  });

  it('restates receivables per currency, never deferred revenue, and reverses on the next day', () => {
    const s = settings([
      { date: '2026-01-31', from: 'eur', to: 'usd', rate: '1.20' },
      { date: '2026-01-31', from: 'jpy', to: 'usd', rate: '0.0068' },
    ]);
    const { entries, problems } = revaluationEntries(held, s, [JAN]);
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.key, e.postingDate])).toEqual([
      ['fxr:2026-01:eur', '2026-01-31'],
      ['fxr:2026-01:eur:reversal', '2026-02-01'],
      ['fxr:2026-01:jpy', '2026-01-31'],
      ['fxr:2026-01:jpy:reversal', '2026-02-01'],
    ]);
    // EUR 100.00 at 1.20 = 120.00 against 110.00; JPY 100,000 at 0.0068 = 680.00 against 700.00.
    expect(entries[0]!.lines.map((l) => [l.role, l.amountMinor])).toEqual([
      ['receivable', 1000n],
      ['fx_unrealized', -1000n],
    ]);
    expect(entries[2]!.lines.map((l) => [l.role, l.amountMinor])).toEqual([
      ['receivable', -2000n],
      ['fx_unrealized', 2000n],
    ]);
    expect(entries.flatMap((e) => e.lines).some((l) => l.role === 'deferred_revenue')).toBe(false);
    expect(entries[1]!.lines.map((l) => l.amountMinor)).toEqual(entries[0]!.lines.map((l) => -l.amountMinor));
  });

  it('a missing or zero rate is an exception for that currency only; the others book', () => {
    const zero = settings([{ date: '2026-01-31', from: 'eur', to: 'usd', rate: '1.20' }]);
    zero.fx_rates.push({ date: '2026-01-31', from: jpy, to: zero.functional_currency, rate: '0' });
    for (const s of [settings([{ date: '2026-01-31', from: 'eur', to: 'usd', rate: '1.20' }]), zero]) {
      const { entries, problems } = revaluationEntries(held, s, [JAN]);
      expect(entries.map((e) => e.key)).toEqual(['fxr:2026-01:eur', 'fxr:2026-01:eur:reversal']);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.objectId).toBe('fxr:2026-01:jpy');
      expect(problems[0]!.severity).toBeUndefined();
      expect(problems[0]!.reason).toMatch(/JPY.*not revalued/);
    }
  });

  it('books on a later rate as an estimate, with a warning', () => {
    const s = settings([
      { date: '2026-02-03', from: 'eur', to: 'usd', rate: '1.20' },
      { date: '2026-01-31', from: 'jpy', to: 'usd', rate: '0.007' },
    ]);
    const { entries, problems } = revaluationEntries(held, s, [JAN]);
    expect(entries[0]!.lines[0]!.amountMinor).toBe(1000n);
    expect(problems).toEqual([expect.objectContaining({ objectId: 'fxr:2026-01:eur', severity: 'warning' })]);
  });

  it('leaves earlier revaluations out of what it restates', () => {
    const s = settings([{ date: '2026-01-31', from: 'eur', to: 'usd', rate: '1.20' }]);
    const before: RevaluedLine = {
      entryKey: 'fxr:2025-12:eur',
      postingDate: '2025-12-31',
      role: 'receivable',
      amountMinor: minor(999n),
      original: { currency: eur, amountMinor: 0n },
    };
    const { entries } = revaluationEntries([...held, before], s, [JAN]);
    expect(entries[0]!.lines[0]!.amountMinor).toBe(1000n);
  });
});

describe('a payout from a foreign Stripe balance', () => {
  const day = (d: string): number => startOfDay(d, 'UTC');
  const bt = (id: string, amount: bigint, fee: bigint, d: string): BalanceTxnFact => ({
    id,
    amountMinor: amount,
    feeMinor: fee,
    currency: eur,
    exchangeRate: null,
    created: day(d),
  });
  const base: PayoutFact = {
    type: 'payout_paid',
    payout: 'po_1',
    amountMinor: 9680n,
    currency: eur,
    at: day('2026-01-20'),
  };
  const s = TenantSettingsSchema.parse({
    fx_rates: [
      { date: '2026-01-05', from: 'eur', to: 'usd', rate: '1.12' },
      { date: '2026-01-19', from: 'eur', to: 'usd', rate: '1.08' },
    ],
  });

  it('realizes the gap between what it paid out (at their rates) and the bank (at its rate)', () => {
    const payout = { ...base, balanceTransactions: [bt('txn_1', 10000n, 320n, '2026-01-05')] };
    const { entries, exceptions } = runEngine({ settings: s, facts: [payout], through: '2026-01-31' });
    expect(exceptions).toEqual([]);
    // Bank 96.80 × 1.08 = 104.544 → 104.54; carried 112.00 − 3.58 = 108.42; loss 3.88.
    expect(entries[0]!.lines.map((l) => [l.role, l.amountMinor])).toEqual([
      ['bank', 10454n],
      ['cash_clearing', -10842n],
      ['fx_gain_loss', 388n],
    ]);
  });

  it('without the list (a manual payout) books at its own rate, and a failure mirrors the paid entry', () => {
    const failed: PayoutFact = { ...base, type: 'payout_failed', at: day('2026-01-22') };
    const { entries } = runEngine({ settings: s, facts: [base, failed], through: '2026-01-31' });
    expect(entries.map((e) => e.key)).toEqual(['po:po_1:paid', 'po:po_1:failed']);
    expect(entries[0]!.lines.map((l) => l.amountMinor)).toEqual([10454n, -10454n]);
    expect(entries[1]!.lines.map((l) => l.amountMinor)).toEqual([-10454n, 10454n]);
    expect(entries[1]!.postingDate).toBe('2026-01-22');
  });

  it('with no rate at all: an exception, nothing booked', () => {
    const none = TenantSettingsSchema.parse({});
    const { entries, exceptions } = runEngine({ settings: none, facts: [base], through: '2026-01-31' });
    expect(entries).toEqual([]);
    expect(exceptions[0]!.reason).toMatch(/no exchange rate EUR→USD/);
  });
});

describe('a dispute and a one-time charge in a foreign Stripe balance', () => {
  const day = (d: string): number => startOfDay(d, 'UTC');
  const s = TenantSettingsSchema.parse({
    fx_rates: [
      { date: '2026-01-05', from: 'eur', to: 'usd', rate: '1.10' },
      { date: '2026-01-05', from: 'gbp', to: 'usd', rate: '1.30' },
      { date: '2026-01-20', from: 'eur', to: 'usd', rate: '1.20' },
    ],
  });
  const eurBt = (id: string, amount: bigint, fee: bigint, d: string, rate: string | null = null): BalanceTxnFact => ({
    id,
    amountMinor: amount,
    feeMinor: fee,
    currency: eur,
    exchangeRate: rate,
    created: day(d),
  });

  it('withdraws the disputed euros at their own date and the fee with them', () => {
    const invoice = {
      type: 'invoice_finalized' as const,
      invoice: 'in_d',
      customer: 'cus_d',
      currency: eur,
      at: day('2026-01-05'),
      totalMinor: 5000n,
      taxMinor: 0n,
      startingBalanceMinor: 0n,
      endingBalanceMinor: 0n,
      lines: [
        {
          id: 'il_d',
          amountMinor: 5000n,
          discountMinor: 0n,
          creditMinor: 0n,
          inclusiveTaxMinor: 0n,
          exclusiveTaxMinor: 0n,
          periodStart: day('2026-01-05'),
          periodEnd: day('2026-01-05'),
          product: 'prod_d',
          price: null,
          proration: false,
          invoiceItem: null,
          pendingItemCreatedAt: null,
          description: null,
        },
      ],
    };
    const payment = {
      type: 'payment' as const,
      invoice: 'in_d',
      payment: 'ch_d',
      method: 'stripe' as const,
      amountMinor: 5000n,
      currency: eur,
      at: day('2026-01-05'),
      balanceTransaction: eurBt('txn_d', 5000n, 0n, '2026-01-05'),
    };
    const dispute = {
      type: 'dispute_funds_withdrawn' as const,
      dispute: 'dp_d',
      charge: 'ch_d',
      invoice: 'in_d',
      amountMinor: 5000n,
      currency: eur,
      at: day('2026-01-20'),
      balanceTransaction: eurBt('txn_dp', -5000n, 1500n, '2026-01-20'),
    };
    const { entries, exceptions } = runEngine({
      settings: s,
      facts: [invoice, payment, dispute],
      through: '2026-01-31',
    });
    expect(exceptions).toEqual([]);
    const dp = entries.find((e) => e.key.startsWith('dp:dp_d'))!;
    const cash = dp.lines.find((l) => l.role === 'cash_clearing')!;
    // 50.00 EUR left the balance at 1.20 (60.00), taken from revenue at the booking rate 1.10 (55.00).
    expect([cash.amountMinor, cash.original]).toEqual([-6000n, { currency: eur, amountMinor: -5000n, rate: '1.2' }]);
    expect(dp.lines.find((l) => l.role === 'fx_gain_loss')!.amountMinor).toBe(500n);
    const fee = entries.find((e) => e.key === 'fee:txn_dp')!;
    expect(fee.lines.map((l) => [l.role, l.amountMinor, l.original?.amountMinor])).toEqual([
      ['fees', 1800n, 1500n],
      ['cash_clearing', -1800n, -1500n],
    ]);
  });

  it("books a GBP charge settled in EUR at the balance's rate, not Stripe's GBP→EUR rate", () => {
    const charge = {
      type: 'charge' as const,
      charge: 'ch_g',
      customer: null,
      amountMinor: 1000n,
      currency: 'gbp' as TenantSettings['functional_currency'],
      at: day('2026-01-05'),
      balanceTransaction: eurBt('txn_g', 1180n, 0n, '2026-01-05', '1.18'),
      description: null,
    };
    const { entries, exceptions } = runEngine({ settings: s, facts: [charge], through: '2026-01-31' });
    expect(exceptions).toEqual([]);
    const cash = entries[0]!.lines.find((l) => l.role === 'cash_clearing')!;
    // 11.80 EUR at 1.10 = 12.98 USD, with the euros kept; revenue is what settled.
    expect([cash.amountMinor, cash.original?.currency, cash.original?.amountMinor]).toEqual([1298n, eur, 1180n]);
    expect(entries[0]!.lines.find((l) => l.role === 'deferred_revenue')!.amountMinor).toBe(-1298n);
  });
});
