// The period-end usage accrual through the database, the release and the Stripe fake over HTTP:
// the golden scenario's usage is accrued and trued up, and bad input — a price naming a meter
// Stripe does not know, a meter reporting negative usage — leaves an exception queue row naming
// the meter or summary and no accrual fact or entry, while the invoices still book.
import { describe, expect, it } from 'vitest';
import { eventsOf, deliver, freshBooks, goldenLines, settle } from '../support/scenario.ts';

const NAME = 'usage-unbilled-accrual-true-up';

async function run(edit: (lines: Record<string, unknown>[]) => Record<string, unknown>[]) {
  const lines = edit(goldenLines([NAME]));
  const b = await freshBooks(lines, 'acct_golden', {});
  try {
    await deliver(b, eventsOf(lines));
    const journal = await settle(b, '2026-03-31');
    const exceptions = await b.t.db
      .selectFrom('exceptions')
      .select(['kind', 'object_id', 'reason'])
      .where('tenant_id', '=', b.tenant.id)
      .execute();
    const accruals = await b.t.db
      .selectFrom('stripe_facts')
      .select('fact_key')
      .where('tenant_id', '=', b.tenant.id)
      .where('fact_key', 'like', 'usage\\_accrual:%')
      .execute();
    return { journal, exceptions, accruals: accruals.length };
  } finally {
    await b.close();
  }
}

describe('unbilled usage accrual at the release', () => {
  it('accrues each period end and trues up at the invoice', async () => {
    const { journal, exceptions, accruals } = await run((l) => l);
    expect(exceptions).toEqual([]);
    expect(accruals).toBe(2);
    expect(journal).toContain('usage:true-up:in_feb:il_usage1');
    expect(journal).toContain('usage:true-up:in_mar:il_usage2');
  });

  it('an unknown meter: an exception naming it, no accrual, the invoices still booked', async () => {
    const { journal, exceptions, accruals } = await run((lines) => lines.filter((l) => l.object !== 'billing.meter'));
    expect(accruals).toBe(0);
    expect(exceptions).toEqual([
      expect.objectContaining({
        kind: 'mapping',
        object_id: 'mtr_api',
        reason: expect.stringContaining('billing meter mtr_api (of price price_api_tiered) is unknown to Stripe'),
      }),
    ]);
    expect(journal).toContain('inv:in_feb:finalized');
    expect(journal).not.toContain('usage:');
  });

  it('a negative usage quantity: an exception naming the summary, nothing accrued for that period end', async () => {
    const { exceptions, accruals, journal } = await run((lines) =>
      lines.map((l) =>
        l.id === 'mev_4' ? { ...l, payload: { stripe_customer_id: 'cus_metered', value: '-900' } } : l,
      ),
    );
    // January still accrues; February's window holds -900 calls and is refused whole.
    expect(accruals).toBe(1);
    expect(exceptions).toEqual([
      expect.objectContaining({
        kind: 'mapping',
        object_id: expect.stringMatching(/^mtrusg_/),
        reason: expect.stringContaining('reports -900; usage is never negative'),
      }),
    ]);
    expect(journal).toContain('usage:true-up:in_feb:il_usage1');
    expect(journal).not.toContain('usage:true-up:in_mar');
  });
});
