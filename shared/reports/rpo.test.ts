// Remaining performance obligations: the forward schedule the engine derives, at the release
// date, ties to the ledger's deferred revenue less deferred discounts (random invoices with
// discounts, refunds and credit notes, through the real engine), and splits current from
// non-current at twelve months.
import fc from 'fast-check';
import { runEngine } from '../engine/index.ts';
import type { Fact, InvoiceLineFact } from '../engine/facts.ts';
import type { EntryDraft } from '../journal.ts';
import type { LedgerLine } from '../ledger-rows.ts';
import { currency } from '../money.ts';
import { defaultSettings } from '../settings.ts';
import { addDays, startOfDay } from '../time.ts';
import { remainingObligations, type RpoScheduleLine } from './rpo.ts';

const USD = currency('usd');
const DAY = 86_400;
const T0 = startOfDay('2026-01-01', 'UTC');

function ledgerOf(entries: readonly EntryDraft[]): LedgerLine[] {
  return entries.flatMap((e, i) =>
    e.lines.map((l, n) => ({
      entryId: `je_${i}`,
      entryKey: e.key,
      kind: e.kind,
      postingDate: e.postingDate,
      period: e.postingDate.slice(0, 7),
      correction: false,
      memo: e.memo,
      sources: e.sources,
      lineNo: n + 1,
      role: l.role,
      account: l.account ?? l.role,
      currency: l.currency,
      amountMinor: l.amountMinor,
      invoice: l.invoice,
      customer: l.customer,
      product: l.product,
    })),
  );
}

function line(id: string, amount: bigint, startDay: number, days: number, discount: bigint): InvoiceLineFact {
  return {
    id,
    amountMinor: amount,
    discountMinor: discount,
    creditMinor: 0n,
    inclusiveTaxMinor: 0n,
    exclusiveTaxMinor: 0n,
    periodStart: T0 + startDay * DAY,
    periodEnd: T0 + (startDay + days) * DAY,
    product: `prod_${id.length % 2}`,
    price: null,
    proration: false,
    invoiceItem: null,
    pendingItemCreatedAt: null,
    description: null,
  };
}

const invoiceArb = (n: number) =>
  fc
    .record({
      amount: fc.integer({ min: 100, max: 5_000_000 }),
      startDay: fc.integer({ min: 0, max: 200 }),
      days: fc.constantFrom(1, 30, 90, 365, 730, 1095),
      discountPct: fc.integer({ min: 0, max: 40 }),
      event: fc.constantFrom('none', 'refund', 'credit_note'),
      eventDay: fc.integer({ min: 0, max: 400 }),
      pct: fc.integer({ min: 1, max: 100 }),
    })
    .map((g): Fact[] => {
      const inv = `in_${n}`;
      const amount = BigInt(g.amount);
      const discount = (amount * BigInt(g.discountPct)) / 100n;
      const at = T0 + g.startDay * DAY + 3600;
      const total = amount - discount;
      const facts: Fact[] = [
        {
          type: 'invoice_finalized',
          invoice: inv,
          customer: `cus_${n % 3}`,
          currency: USD,
          at,
          totalMinor: total,
          taxMinor: 0n,
          startingBalanceMinor: 0n,
          endingBalanceMinor: 0n,
          lines: [line(`${inv}_l`, amount, g.startDay, g.days, discount)],
        },
        {
          type: 'payment',
          invoice: inv,
          payment: `ch_${n}`,
          method: 'stripe',
          amountMinor: total,
          currency: USD,
          at: at + 60,
          balanceTransaction: null,
        },
      ];
      const part = (total * BigInt(g.pct)) / 100n;
      const t = at + g.eventDay * DAY;
      if (g.event === 'refund' && part > 0n)
        facts.push({
          type: 'refund',
          refund: `re_${n}`,
          charge: `ch_${n}`,
          invoice: inv,
          amountMinor: part,
          currency: USD,
          at: t,
          balanceTransaction: null,
        });
      if (g.event === 'credit_note' && part > 0n)
        facts.push({
          type: 'credit_note',
          creditNote: `cn_${n}`,
          invoice: inv,
          currency: USD,
          at: t,
          totalMinor: part,
          taxMinor: 0n,
          lines: [],
          prePaymentMinor: 0n,
          refundMinor: 0n,
          customerBalanceMinor: part,
          outOfBandMinor: 0n,
          refunds: [],
        });
      return facts;
    });

/** The engine run as of `through`: only the facts known by the end of that day. */
function scheduleOf(all: Fact[], through: string, discountsAsContra: boolean, amortization?: 'monthly_even') {
  const settings = {
    ...defaultSettings(),
    discounts_as_contra: discountsAsContra,
    ...(amortization ? { amortization } : {}),
  };
  const facts = all.filter((f) => f.at < startOfDay(addDays(through, 1), 'UTC'));
  const result = runEngine({ settings, facts, through });
  const customerOf = new Map(
    facts.flatMap((f) => (f.type === 'invoice_finalized' ? [[f.invoice, f.customer] as const] : [])),
  );
  const schedule: RpoScheduleLine[] = result.schedules.map((s) => ({
    invoice: s.invoice,
    customer: s.invoice ? (customerOf.get(s.invoice) ?? null) : null,
    product: s.product,
    postingDate: s.postingDate,
    amountMinor: s.amountMinor,
  }));
  return { schedule, ledger: ledgerOf(result.entries) };
}

describe('remaining performance obligations', () => {
  it('ties to deferred revenue less deferred discounts at the release date, on random invoices', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: 1, maxLength: 5 }).chain((xs) => fc.tuple(...xs.map((_, i) => invoiceArb(i)))),
        fc.constantFrom('2026-03-31', '2026-06-30', '2027-01-31'),
        fc.boolean(),
        (invoices, asOf, contra) => {
          const { schedule, ledger } = scheduleOf(invoices.flat(), asOf, contra);
          const r = remainingObligations(schedule, { currency: USD, asOf, ledgerLines: ledger });
          expect(r.problems).toEqual([]);
          expect(r.totalMinor).toBe(r.ledgerDeferredMinor);
          expect(r.currentMinor + r.nonCurrentMinor).toBe(r.totalMinor);
          expect(r.months.reduce((t, m) => t + m.amountMinor, 0n)).toBe(r.totalMinor);
          expect(r.customers.reduce((t, c) => t + c.totalMinor, 0n)).toBe(r.totalMinor);
          expect(r.products.reduce((t, c) => t + c.totalMinor, 0n)).toBe(r.totalMinor);
          for (const m of r.months) expect(m.current).toBe(m.month <= r.currentThrough.slice(0, 7));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('splits a three-year contract into twelve current months and the rest', () => {
    const facts = fc.sample(invoiceArb(0), 1)[0]!.slice(0, 1) as Fact[];
    const fin = facts[0]! as Extract<Fact, { type: 'invoice_finalized' }>;
    fin.lines = [line('in_0_l', 3_600_00n, 0, 1096, 0n)];
    fin.at = T0 + 3600;
    fin.totalMinor = 3_600_00n;
    const { schedule, ledger } = scheduleOf(facts, '2026-01-31', false, 'monthly_even');
    const r = remainingObligations(schedule, { currency: USD, asOf: '2026-01-31', ledgerLines: ledger });
    expect(r.currentThrough).toBe('2027-01-31');
    expect(r.months.filter((m) => m.current).map((m) => m.month)[0]).toBe('2026-02');
    expect(r.months.filter((m) => m.current)).toHaveLength(12);
    expect(r.totalMinor).toBe(r.ledgerDeferredMinor);
    // 3,600.00 over 36 months at 100.00 a month (monthly_even): 12 × 100.00 current, the rest non-current.
    expect(r.totalMinor + 100_00n).toBe(3_600_00n);
    expect(r.currentMinor).toBe(1_200_00n);
    expect(r.customers).toEqual([
      { id: 'cus_0', currentMinor: 1_200_00n, nonCurrentMinor: 2_300_00n, totalMinor: 3_500_00n },
    ]);
  });
});
