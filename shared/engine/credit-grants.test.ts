// Proves billing credits and stored value in the engine: bad input is refused with a clear
// exception and nothing of the grant is booked (credits applied beyond a grant's balance, a grant
// voided twice); and, on random grants, a paid grant's liability never goes negative and
// sold = redeemed + breakage + remaining, to the cent, whatever the breakage policy.
import fc from 'fast-check';
import { currency } from '../money.ts';
import { TenantSettingsSchema, type TenantSettingsInput } from '../settings.ts';
import { startOfDay } from '../time.ts';
import type { CreditAppliedFact, CreditGrantFact, CustomerBalanceFact, Fact } from './facts.ts';
import { runEngine } from './index.ts';

const USD = currency('usd');
const T0 = startOfDay('2026-01-01', 'UTC');
const DAY = 86_400;

function grant(amount: bigint, extra: Partial<CreditGrantFact> = {}): CreditGrantFact {
  return {
    type: 'credit_grant',
    grant: 'credgr_1',
    customer: 'cus_1',
    category: 'paid',
    amountMinor: amount,
    currency: USD,
    at: T0,
    expiresAt: null,
    saleInvoice: null,
    ...extra,
  };
}

function applied(id: string, amount: bigint, day: number): CreditAppliedFact {
  return {
    type: 'credit_applied',
    transaction: id,
    grant: 'credgr_1',
    invoice: `in_${id}`,
    invoiceLine: null,
    customer: 'cus_1',
    amountMinor: amount,
    currency: USD,
    at: T0 + day * DAY,
  };
}

function run(facts: Fact[], settings: TenantSettingsInput = {}, through = '2030-12-31') {
  return runEngine({ settings: TenantSettingsSchema.parse(settings), facts, through });
}

/** Sum of a role's lines (debit positive) over the entries. */
function balance(entries: ReturnType<typeof run>['entries'], role: string): bigint {
  let sum = 0n;
  for (const e of entries) for (const l of e.lines) if (l.role === role) sum += l.amountMinor;
  return sum;
}

describe('billing credits: bad input', () => {
  it('refuses credits applied beyond the grant, booking nothing of the grant', () => {
    const r = run([grant(10_000n), applied('cbtxn_a', 6_000n, 10), applied('cbtxn_b', 5_000n, 20)]);
    expect(r.entries).toEqual([]);
    expect(r.exceptions).toHaveLength(1);
    expect(r.exceptions[0]!.reason).toMatch(/credits applied beyond the grant's balance by 1000/);
    expect(r.exceptions[0]!.reason).toMatch(/not booked/);
  });

  it('refuses a grant voided twice, booking nothing of it', () => {
    const voids: Fact[] = [
      { type: 'credit_grant_voided', grant: 'credgr_1', at: T0 + 5 * DAY },
      { type: 'credit_grant_voided', grant: 'credgr_1', at: T0 + 9 * DAY },
    ];
    const r = run([grant(10_000n), applied('cbtxn_a', 1_000n, 2), ...voids]);
    expect(r.entries).toEqual([]);
    expect(r.exceptions[0]!.reason).toMatch(/voided twice/);
  });

  it('books one void reported twice once', () => {
    const v: Fact = { type: 'credit_grant_voided', grant: 'credgr_1', at: T0 + 5 * DAY };
    const r = run([grant(10_000n), v, { ...v }]);
    expect(r.exceptions).toEqual([]);
    expect(balance(r.entries, 'breakage')).toBe(-10_000n);
  });

  it('refuses promotional credits applied beyond the grant too (they book nothing either way)', () => {
    const r = run([grant(1_000n, { category: 'promotional' }), applied('cbtxn_a', 1_500n, 3)]);
    expect(r.entries).toEqual([]);
    expect(r.exceptions[0]!.reason).toMatch(/beyond the grant's balance/);
  });

  it('waits for the grant when its applications arrive first', () => {
    const r = run([applied('cbtxn_a', 1_000n, 3)]);
    expect(r.entries).toEqual([]);
    expect(r.exceptions[0]!.reason).toMatch(/arrived before the grant/);
  });
});

describe('billing credits: the sale a paid grant names', () => {
  it("books the named invoice's lines to prepaid credits instead of deferred revenue", () => {
    const invoice: Fact = {
      type: 'invoice_finalized',
      invoice: 'in_pack',
      customer: 'cus_1',
      currency: USD,
      at: T0,
      totalMinor: 10_000n,
      taxMinor: 0n,
      startingBalanceMinor: 0n,
      endingBalanceMinor: 0n,
      lines: [
        {
          id: 'il_pack',
          amountMinor: 10_000n,
          discountMinor: 0n,
          creditMinor: 0n,
          inclusiveTaxMinor: 0n,
          exclusiveTaxMinor: 0n,
          periodStart: T0,
          periodEnd: T0 + 30 * DAY,
          product: 'prod_pack',
          price: null,
          proration: false,
          invoiceItem: null,
          pendingItemCreatedAt: null,
          description: null,
        },
      ],
    };
    const sale: Fact = {
      type: 'credit_grant_sale',
      grant: 'credgr_1',
      invoice: 'in_pack',
      amountMinor: 10_000n,
      currency: USD,
      at: T0,
    };
    const withSale = run([invoice, sale]);
    expect(balance(withSale.entries, 'prepaid_credits')).toBe(-10_000n);
    expect(balance(withSale.entries, 'deferred_revenue')).toBe(0n);
    expect(balance(withSale.entries, 'revenue')).toBe(0n);
    const without = run([invoice]);
    expect(balance(without.entries, 'revenue')).toBe(-10_000n);
  });
});

const policyArb = fc.record({
  breakage_after_months: fc.option(fc.integer({ min: 1, max: 18 }), { nil: null }),
  breakage_rate: fc.option(fc.constantFrom('0.05', '0.1', '0.2', '0.333'), { nil: null }),
  escheat_share: fc.constantFrom('0', '0.25', '0.5'),
});

/** Debits of a role in entries of a kind. */
function debits(entries: ReturnType<typeof run>['entries'], role: string, kind?: string): bigint {
  let sum = 0n;
  for (const e of entries) {
    if (kind && e.kind !== kind) continue;
    for (const l of e.lines) if (l.role === role) sum += l.amountMinor;
  }
  return sum;
}

const usesArb = fc.array(fc.record({ share: fc.integer({ min: 1, max: 60 }), day: fc.integer({ min: 0, max: 700 }) }), {
  maxLength: 8,
});

describe('billing credits: properties', () => {
  it('a paid grant never goes negative, and sold = redeemed + breakage + remaining to the cent', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        usesArb,
        fc.option(fc.integer({ min: 1, max: 800 }), { nil: null }),
        fc.option(fc.integer({ min: 1, max: 800 }), { nil: null }),
        policyArb,
        (amount, uses, expiryDay, voidDay, policy) => {
          const end = Math.min(expiryDay ?? Infinity, voidDay ?? Infinity);
          // Stripe applies credits only while the grant lives, and never beyond its balance.
          let left = BigInt(amount);
          const facts: Fact[] = [
            grant(BigInt(amount), { expiresAt: expiryDay === null ? null : T0 + expiryDay * DAY }),
          ];
          uses.forEach((u, i) => {
            const take = (left * BigInt(u.share)) / 100n;
            if (take === 0n || u.day >= end) return;
            left -= take;
            facts.push(applied(`cbtxn_${i}`, take, u.day));
          });
          if (voidDay !== null) facts.push({ type: 'credit_grant_voided', grant: 'credgr_1', at: T0 + voidDay * DAY });
          const r = run(facts, policy);
          expect(r.exceptions).toEqual([]);
          const appliedTotal = BigInt(amount) - left;
          // Never negative: the liability left after every entry, in date order.
          let liability = BigInt(amount);
          for (const e of r.entries) {
            for (const l of e.lines) if (l.role === 'prepaid_credits') liability -= l.amountMinor;
            expect(liability >= 0n).toBe(true);
          }
          const redeemed = debits(r.entries, 'prepaid_credits', 'credits_applied');
          const takenBack =
            debits(r.entries, 'breakage', 'credits_applied') +
            debits(r.entries, 'escheat_liability', 'credits_applied');
          const broken = debits(r.entries, 'prepaid_credits', 'breakage');
          expect(-debits(r.entries, 'receivable')).toBe(appliedTotal);
          expect(redeemed + takenBack).toBe(appliedTotal);
          // sold = redeemed + breakage + remaining (breakage net of what redemptions took back).
          expect(redeemed + broken + liability).toBe(BigInt(amount));
          const breakageNet = -(debits(r.entries, 'breakage') + debits(r.entries, 'escheat_liability'));
          expect(breakageNet).toBe(broken - takenBack);
          if (end !== Infinity) expect(liability).toBe(0n);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stored value: sold = redeemed + breakage + remaining, and the liability never goes negative', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 3 }),
        usesArb,
        policyArb,
        (lots, uses, policy) => {
          const facts: CustomerBalanceFact[] = lots.map((amount, i) => ({
            type: 'customer_balance_txn',
            transaction: `cbtxn_f${i}`,
            customer: 'cus_1',
            kind: i === 1 ? 'other_credit' : 'stored_value_funded',
            amountMinor: BigInt(amount),
            currency: USD,
            at: T0 + i * 30 * DAY,
            invoice: null,
            expiresAt: i === 2 ? T0 + 400 * DAY : null,
          }));
          let balanceLeft = lots.reduce((a, b) => a + BigInt(b), 0n);
          uses.forEach((u, i) => {
            const take = (balanceLeft * BigInt(u.share)) / 100n;
            if (take === 0n) return;
            balanceLeft -= take;
            facts.push({
              type: 'customer_balance_txn',
              transaction: `cbtxn_u${i}`,
              customer: 'cus_1',
              kind: 'applied',
              amountMinor: take,
              currency: USD,
              at: T0 + (60 + u.day) * DAY,
              invoice: `in_${i}`,
              expiresAt: null,
            });
          });
          const sold = facts.filter((f) => f.kind === 'stored_value_funded').reduce((a, f) => a + f.amountMinor, 0n);
          const r = run(facts, policy);
          expect(r.exceptions).toEqual([]);
          let liability = sold;
          for (const e of r.entries) {
            for (const l of e.lines) if (l.role === 'stored_value') liability -= l.amountMinor;
            expect(liability >= 0n).toBe(true);
          }
          const redeemed = debits(r.entries, 'stored_value', 'credits_applied');
          const broken = debits(r.entries, 'stored_value', 'breakage');
          expect(redeemed + broken + liability).toBe(sold);
          // What a redemption takes off the customer balance is never more than what was applied.
          expect(-debits(r.entries, 'customer_balance') <= lots.reduce((a, b) => a + BigInt(b), 0n) - balanceLeft).toBe(
            true,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
