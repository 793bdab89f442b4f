/**
 * Billing credits through the real pipeline. A merchant that onboards by backfill gets the books of
 * one that received the webhooks live, for a business with billing credits (a promotion and a paid
 * pack), gift cards (stored value) and metered customers (unbilled usage accrued at each period end
 * and trued up by the invoice). A paid grant's sale (the invoice its metadata names) books the same
 * whichever of the two was processed, and released, first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runBackfill } from '../../backend/app/backfill.ts';
import { generateBusiness } from '../../backend/sandbox/stripe/business.ts';
import { deliver, eventsOf, freshBooks, goldenLines, settle, type Books } from '../support/scenario.ts';
import type Stripe from 'stripe';

const THROUGH = '2025-12-31';

const open: Books[] = [];
afterAll(async () => {
  for (const b of open) await b.close();
});

/** The journal's lines on one account role (the CSV's role column), as strings. */
function linesOn(journal: string, role: string): string[] {
  const [head, ...rows] = journal.split('\n');
  const col = head!.split(',').indexOf('account_role');
  return rows.filter((r) => r.split(',')[col] === role);
}

describe('backfill of a business with credits, stored value and usage', () => {
  it('books the same journal as the live stream', async () => {
    const business = generateBusiness({ seed: 15, customers: 6, months: 7, account: 'acct_1BackfillCredits' });
    const settings = { ...business.suggestedSettings, accrue_unbilled_usage: true };

    const live = await freshBooks(business.replay, business.account, settings);
    open.push(live);
    await deliver(live, business.events as unknown as Stripe.Event[]);
    const expected = await settle(live, THROUGH);

    // The backfilled account: the objects as they are now, and not one event.
    const b = await freshBooks(business.objects, business.account, settings);
    open.push(b);
    const result = await runBackfill({ db: b.t.db, jobs: null, stripe: b.stripe }, b.tenant.id);
    expect(result.byResource.credit_grants).toBe(
      business.stats.paid_credit_grants! + business.stats.promotional_credit_grants!,
    );
    const listed = b.fake.requests.length;
    const backfilled = await settle(b, THROUGH);

    // The journal carries every new kind of booking, so the comparison means something.
    for (const role of ['prepaid_credits', 'stored_value', 'unbilled_receivable'])
      expect(linesOn(expected, role).length, role).toBeGreaterThan(0);
    expect(backfilled).toBe(expected);
    // Only the period-end usage accrual reads Stripe (the meters' summaries), as it does live.
    const after = b.fake.requests.slice(listed).map((r) => r.path);
    expect(after.filter((p) => !p.startsWith('/v1/billing/meters') && !p.startsWith('/v1/prices/'))).toEqual([]);
  }, 240_000);
});

describe('a paid grant and the invoice that sold it', () => {
  const lines = goldenLines(['credits-paid-grant-sale-by-metadata']);
  const events = eventsOf(lines);
  const isGrant = (e: Stripe.Event) => e.type.startsWith('billing.credit_grant.');
  const through = '2026-02-28';

  async function books(): Promise<Books> {
    const b = await freshBooks(lines, 'acct_golden');
    open.push(b);
    return b;
  }

  it('books the same whether the grant is processed before or after its invoice was booked and released', async () => {
    const atOnce = await books();
    await deliver(atOnce, events);
    const expected = await settle(atOnce, through);
    expect(linesOn(expected, 'prepaid_credits').length).toBeGreaterThan(0);
    expect(linesOn(expected, 'revenue').join('\n')).not.toContain('in_msale');

    // The invoice is booked and its January released before the grant arrives.
    const invoiceFirst = await books();
    await deliver(
      invoiceFirst,
      events.filter((e) => !isGrant(e)),
    );
    await settle(invoiceFirst, '2026-01-31');
    await deliver(invoiceFirst, events.filter(isGrant));
    expect(balances(await settle(invoiceFirst, through))).toEqual(balances(expected));

    // The grant is processed before its invoice exists in the books.
    const grantFirst = await books();
    await deliver(grantFirst, events.filter(isGrant));
    await settle(grantFirst, '2026-01-31');
    await deliver(
      grantFirst,
      events.filter((e) => !isGrant(e)),
    );
    expect(balances(await settle(grantFirst, through))).toEqual(balances(expected));
  }, 120_000);
});

/** Each role's balance (debits − credits, in cents) from a journal CSV of USD amounts. */
function balances(journal: string): Record<string, bigint> {
  const [head, ...rows] = journal.split('\n').filter(Boolean);
  const cols = head!.split(',');
  const at = (name: string) => cols.indexOf(name);
  const cents = (v: string | undefined) => (v ? BigInt(v.replace('.', '')) : 0n);
  const out: Record<string, bigint> = {};
  for (const r of rows) {
    const c = r.split(',');
    const role = c[at('account_role')]!;
    out[role] = (out[role] ?? 0n) + cents(c[at('debit')]) - cents(c[at('credit')]);
  }
  return out;
}
