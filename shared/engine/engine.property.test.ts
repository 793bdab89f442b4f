// Proves the engine's invariants on random invoices and events (fast-check prints the seed and
// the shrunk counterexample on failure): every entry balances; every schedule sums exactly, so
// deferred revenue of a fully-served invoice ends at zero; the same facts in any order and any
// multiplicity give the same entries; running per aggregate equals one run; remaining deferred
// revenue of a positive line is never negative; allocations sum to their totals.
import fc from 'fast-check';
import { defaultSettings, type TenantSettings } from '../settings.ts';
import { allocateSigned } from './allocation.ts';
import { aggregateKeyOf, runEngine } from './index.ts';
import type { Fact, InvoiceFinalizedFact, InvoiceLineFact } from './facts.ts';
import { startOfDay } from '../time.ts';
import { currency as currencyOf } from '../money.ts';

const T0 = startOfDay('2026-01-01', 'UTC');
const DAY = 86_400;
const FAR = '2030-12-31';
const RUNS = 150;

const methodArb = fc.constantFrom('by_time', 'by_day', 'monthly_even', 'monthly_even_prorated_ends') as fc.Arbitrary<
  TenantSettings['amortization']
>;

interface Gen {
  settings: TenantSettings;
  facts: Fact[];
}

const lineArb = (inv: string, i: number): fc.Arbitrary<InvoiceLineFact> =>
  fc
    .record({
      amount: fc.integer({ min: 1, max: 5_000_000 }),
      startDay: fc.integer({ min: -40, max: 60 }),
      days: fc.integer({ min: 0, max: 400 }),
      sec: fc.integer({ min: 0, max: DAY - 1 }),
      tax: fc.integer({ min: 0, max: 100_000 }),
      // Now and then a line discounted to nothing (a zero-net line).
      discountPct: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constant(100)),
    })
    .map((r) => ({
      id: `${inv}_l${i}`,
      amountMinor: BigInt(r.amount),
      discountMinor: (BigInt(r.amount) * BigInt(r.discountPct)) / 100n,
      creditMinor: 0n,
      inclusiveTaxMinor: 0n,
      exclusiveTaxMinor: BigInt(r.tax),
      periodStart: T0 + r.startDay * DAY + r.sec,
      periodEnd: T0 + (r.startDay + r.days) * DAY + r.sec,
      product: `prod_${i % 2}`,
      price: null,
      proration: false,
      invoiceItem: null,
      pendingItemCreatedAt: null,
      description: null,
    }));

/** A random invoice with random payments and cancel-type events (amounts within what was billed). */
const invoiceArb = (n: number): fc.Arbitrary<Fact[]> =>
  fc
    .record({
      lines: fc
        .tuple(lineArb(`in_${n}`, 0), lineArb(`in_${n}`, 1), lineArb(`in_${n}`, 2))
        .chain((ls) => fc.integer({ min: 1, max: 3 }).map((k) => ls.slice(0, k))),
      finDay: fc.integer({ min: 0, max: 30 }),
      paid: fc.boolean(),
      refundPct: fc.integer({ min: 0, max: 100 }),
      refundDay: fc.integer({ min: 0, max: 200 }),
      event: fc.constantFrom(
        'none',
        'refund',
        'credit_note',
        'dispute',
        'void',
        'uncollectible',
        'refund_failed',
        'credit_note_voided',
        'credit_note_on_last_line',
      ),
      shipping: fc.option(
        fc.record({ amount: fc.integer({ min: 1, max: 50_000 }), tax: fc.integer({ min: 0, max: 5_000 }) }),
      ),
      foreign: fc.boolean(),
      negativeThird: fc.boolean(),
    })
    .map((g) => {
      const inv = `in_${n}`;
      // A credit line (e.g. unused time) on a three-line invoice, smaller than the first line.
      const lines =
        g.negativeThird && g.lines.length === 3
          ? [
              g.lines[0]!,
              g.lines[1]!,
              { ...g.lines[2]!, amountMinor: -(g.lines[0]!.amountMinor / 2n), discountMinor: 0n },
            ]
          : g.lines;
      const at = T0 + g.finDay * DAY + 3600;
      const tax = lines.reduce((a, l) => a + l.exclusiveTaxMinor, 0n);
      const shipping = g.shipping
        ? { amountMinor: BigInt(g.shipping.amount), taxMinor: BigInt(g.shipping.tax), shippingRate: null }
        : null;
      const shippingTotal = shipping ? shipping.amountMinor + shipping.taxMinor : 0n;
      const total = lines.reduce((a, l) => a + l.amountMinor - l.discountMinor, 0n) + tax + shippingTotal;
      const currency = currencyOf(g.foreign ? 'eur' : 'usd');
      const fin: InvoiceFinalizedFact = {
        type: 'invoice_finalized',
        invoice: inv,
        customer: 'cus_1',
        currency,
        at,
        totalMinor: total,
        taxMinor: tax,
        startingBalanceMinor: 0n,
        endingBalanceMinor: 0n,
        lines,
        ...(shipping ? { shipping } : {}),
      };
      const facts: Fact[] = [fin];
      const t = at + g.refundDay * DAY;
      const part = (total * BigInt(g.refundPct)) / 100n;
      const settled = g.foreign ? (total * 11n) / 10n : total;
      const paid = g.paid || g.event === 'refund' || g.event === 'dispute' || g.event === 'refund_failed';
      if (paid)
        facts.push({
          type: 'payment',
          invoice: inv,
          payment: `ch_${n}`,
          method: 'stripe',
          amountMinor: total,
          currency,
          at: at + 60,
          balanceTransaction: {
            id: `txn_${n}`,
            amountMinor: settled,
            feeMinor: settled / 30n,
            currency: currencyOf('usd'),
            exchangeRate: g.foreign ? '1.1' : null,
            created: at + 60,
          },
        });
      if ((g.event === 'refund' || g.event === 'refund_failed') && part > 0n)
        facts.push({
          type: 'refund',
          refund: `re_${n}`,
          charge: `ch_${n}`,
          invoice: inv,
          amountMinor: part,
          currency,
          at: t + 60,
          balanceTransaction: null,
        });
      if (g.event === 'refund_failed' && part > 0n)
        facts.push({ type: 'refund_failed', refund: `re_${n}`, charge: `ch_${n}`, invoice: inv, at: t + 5 * DAY });
      if (g.event === 'dispute')
        facts.push({
          type: 'dispute_funds_withdrawn',
          dispute: `dp_${n}`,
          charge: `ch_${n}`,
          invoice: inv,
          amountMinor: total,
          currency,
          at: t + 60,
          balanceTransaction: null,
        });
      if ((g.event === 'credit_note' || g.event === 'credit_note_voided') && part > 0n)
        facts.push({
          type: 'credit_note',
          creditNote: `cn_${n}`,
          invoice: inv,
          currency,
          at: t,
          totalMinor: part,
          taxMinor: 0n,
          lines: [],
          prePaymentMinor: paid ? 0n : part,
          refundMinor: 0n,
          customerBalanceMinor: paid ? part : 0n,
          outOfBandMinor: 0n,
          refunds: [],
        });
      // A credit note naming the last line (which may be a zero-net line).
      if (g.event === 'credit_note_on_last_line' && part > 0n)
        facts.push({
          type: 'credit_note',
          creditNote: `cn_${n}`,
          invoice: inv,
          currency,
          at: t,
          totalMinor: part,
          taxMinor: 0n,
          lines: [{ invoiceLine: lines[lines.length - 1]!.id, amountMinor: part }],
          prePaymentMinor: paid ? 0n : part,
          refundMinor: 0n,
          customerBalanceMinor: paid ? part : 0n,
          outOfBandMinor: 0n,
          refunds: [],
        });
      if (g.event === 'credit_note_voided' && part > 0n)
        facts.push({ type: 'credit_note_voided', creditNote: `cn_${n}`, invoice: inv, at: t + 3 * DAY });
      if (g.event === 'void' && !paid) facts.push({ type: 'invoice_voided', invoice: inv, at: t });
      if (g.event === 'uncollectible' && !paid) facts.push({ type: 'invoice_uncollectible', invoice: inv, at: t });
      return facts;
    });

const genArb: fc.Arbitrary<Gen> = fc
  .record({
    method: methodArb,
    catchUp: fc.boolean(),
    count: fc.integer({ min: 1, max: 4 }),
    contra: fc.boolean(),
    rules: fc.constantFrom('none', 'bundle', 'point', 'term'),
  })
  .chain((s) =>
    fc.tuple(...Array.from({ length: s.count }, (_v, i) => invoiceArb(i))).map((invs) => {
      const product_rules: TenantSettings['product_rules'] =
        s.rules === 'bundle'
          ? {
              prod_1: {
                rule: 'bundle',
                components: [
                  { name: 'A', ssp: '130', rule: 'point_in_time', trigger: 'booking' },
                  { name: 'B', ssp: '30', rule: 'custom_term', term_months: 12 },
                ],
              },
            }
          : s.rules === 'point'
            ? { prod_0: { rule: 'point_in_time', trigger: 'payment' } }
            : s.rules === 'term'
              ? { prod_1: { rule: 'custom_term', term_months: 7 } }
              : {};
      const settings: TenantSettings = {
        ...defaultSettings(),
        amortization: s.method,
        catch_up: s.catchUp,
        discounts_as_contra: s.contra,
        product_rules,
        fx_rates: [{ date: '2025-01-01', from: currencyOf('eur'), to: currencyOf('usd'), rate: '1.0837' }],
      };
      return { settings, facts: invs.flat() };
    }),
  );

function shuffle<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('engine invariants (property-based)', () => {
  it('every entry balances per currency', () => {
    fc.assert(
      fc.property(genArb, fc.constantFrom('2026-03-31', FAR), ({ settings, facts }, through) => {
        const { entries } = runEngine({ settings, facts, through });
        for (const e of entries) {
          const sums = new Map<string, bigint>();
          for (const l of e.lines) sums.set(l.currency, (sums.get(l.currency) ?? 0n) + l.amountMinor);
          for (const s of sums.values()) expect(s).toBe(0n);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('schedules sum exactly: once everything is served, each invoice line owes no deferred revenue', () => {
    fc.assert(
      fc.property(genArb, ({ settings, facts }) => {
        const { entries, exceptions } = runEngine({ settings, facts, through: FAR });
        expect(exceptions.filter((x) => x.reason.startsWith('could not book'))).toEqual([]);
        const byLine = new Map<string, bigint>();
        // A point-in-time obligation triggered by payment stays deferred until paid: leave unpaid ones out.
        const paid = new Set(facts.filter((f) => f.type === 'payment').map((f) => (f as { invoice: string }).invoice));
        const waiting = (l: { product?: string | undefined; invoice?: string | undefined }): boolean =>
          !!settings.product_rules[l.product ?? ''] &&
          (settings.product_rules[l.product ?? ''] as { rule: string }).rule === 'point_in_time' &&
          !paid.has(l.invoice ?? '');
        for (const e of entries)
          for (const l of e.lines)
            if ((l.role === 'deferred_revenue' || l.role === 'deferred_discounts') && !waiting(l))
              byLine.set(
                `${l.role}:${l.invoiceLine}`,
                (byLine.get(`${l.role}:${l.invoiceLine}`) ?? 0n) + l.amountMinor,
              );
        for (const v of byLine.values()) expect(v).toBe(0n);
      }),
      { numRuns: RUNS },
    );
  });

  it('order and duplicates do not matter', () => {
    fc.assert(
      fc.property(genArb, fc.integer(), ({ settings, facts }, seed) => {
        const a = runEngine({ settings, facts, through: '2026-06-30' });
        const b = runEngine({
          settings,
          facts: shuffle([...facts, ...facts.slice(0, seed % (facts.length + 1))], seed),
          through: '2026-06-30',
        });
        expect(b.entries).toEqual(a.entries);
        expect(b.schedules).toEqual(a.schedules);
      }),
      { numRuns: RUNS },
    );
  });

  it('running per aggregate and concatenating equals one run', () => {
    fc.assert(
      fc.property(genArb, ({ settings, facts }) => {
        const whole = runEngine({ settings, facts, through: '2026-05-31' }).entries;
        const groups = new Map<string, Fact[]>();
        for (const f of facts) groups.set(aggregateKeyOf(f), [...(groups.get(aggregateKeyOf(f)) ?? []), f]);
        const parts = [...groups.keys()]
          .sort()
          .flatMap((k) => runEngine({ settings, facts: groups.get(k)!, through: '2026-05-31' }).entries);
        expect(parts).toEqual(whole);
      }),
      { numRuns: RUNS },
    );
  });

  it('remaining deferred revenue of a positive line is never negative (catch-up on)', () => {
    fc.assert(
      fc.property(genArb, ({ settings, facts }) => {
        const s = { ...settings, catch_up: true };
        const negativeLines = new Set(
          facts.flatMap((f) =>
            f.type === 'invoice_finalized' ? f.lines.filter((l) => l.amountMinor < 0n).map((l) => l.id) : [],
          ),
        );
        const { entries } = runEngine({ settings: s, facts, through: FAR });
        const sorted = [...entries].sort((x, y) =>
          x.postingDate < y.postingDate ? -1 : x.postingDate > y.postingDate ? 1 : 0,
        );
        const bal = new Map<string, bigint>();
        let i = 0;
        while (i < sorted.length) {
          const date = sorted[i]!.postingDate;
          for (; i < sorted.length && sorted[i]!.postingDate === date; i++)
            for (const l of sorted[i]!.lines)
              if (l.role === 'deferred_revenue' && l.invoiceLine && !negativeLines.has(l.invoiceLine))
                bal.set(l.invoiceLine, (bal.get(l.invoiceLine) ?? 0n) + l.amountMinor);
          // A liability: credit balance (≤ 0 in signed units) means something is still owed; a debit balance would be negative deferred revenue.
          for (const v of bal.values()) expect(v <= 0n).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('allocations sum to their totals, signed or not', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.array(fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }), { minLength: 1, maxLength: 8 }),
        (total, weights) => {
          const sum = weights.reduce((a, b) => a + b, 0n);
          fc.pre(sum !== 0n);
          const parts = allocateSigned(total, weights);
          expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
          // No part strays more than one unit from its exact share.
          weights.forEach((w, i) => {
            const exactTimesSum = total * w;
            const diff = parts[i]! * sum - exactTimesSum;
            expect(diff < 0n ? -diff : diff).toBeLessThanOrEqual(sum < 0n ? -sum : sum);
          });
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });
});
