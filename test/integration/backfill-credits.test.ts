/**
 * A merchant that onboards by backfill gets the books of one that received the webhooks live, for
 * a business with billing credits (a promotion and a paid pack), gift cards (stored value) and
 * metered customers (unbilled usage accrued at each period end and trued up by the invoice).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runBackfill } from '../../backend/app/backfill.ts';
import { generateBusiness } from '../../backend/sandbox/stripe/business.ts';
import { deliver, freshBooks, settle, type Books } from '../support/scenario.ts';
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
