/**
 * Rules whose conditions look at the customer's metadata, through the real pipeline (the Stripe
 * fake over HTTP, PostgreSQL): the invoice names its customer by id, so the mapping must learn the
 * customer's metadata (expanded in the invoice's own request) and the books follow the rule that
 * matches it. The same facts let a rule added later re-apply to invoices booked before it.
 *
 * The invoice is the `annual-monthly-even` golden's: 1,200.00 for a year from 2026-01-01, monthly
 * even. Ratable, January earns 100.00; recognised at booking, January earns all 1,200.00.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { previewRuleChange } from '../../backend/app/rules/rule-change.ts';
import { rulesInForce } from '../../backend/app/rules/rule-store.ts';
import { customer } from '../../backend/sandbox/stripe/fixtures/catalogue.ts';
import { RuleSchema, type Rule } from '../../shared/settings.ts';
import { deliver, eventsOf, freshBooks, goldenLines, settle, type Books } from '../support/scenario.ts';

const ENTERPRISE_UPFRONT: Rule = RuleSchema.parse({
  id: 'enterprise-upfront',
  position: 1,
  conditions: { customer_metadata: { segment: 'enterprise' } },
  treatment: { rule: 'point_in_time', trigger: 'booking' },
});

/** The golden's objects plus its customer, `cus_golden`, with `metadata`. */
function linesWithCustomer(metadata: Record<string, string>): Record<string, unknown>[] {
  const lines = goldenLines(['annual-monthly-even']);
  const cus = customer({ id: 'cus_golden', created: 1767222000 - 86_400 }, { metadata });
  return [cus as unknown as Record<string, unknown>, ...lines];
}

/** Revenue credited in January 2026, in minor units, from the journal CSV `settle` returns. */
function januaryRevenue(csv: string): bigint {
  const [head, ...rows] = csv.trim().split('\n');
  const col = Object.fromEntries(head!.split(',').map((name, i) => [name, i]));
  let total = 0n;
  for (const row of rows) {
    const f = row.split(',');
    if (f[col.account_role!] !== 'revenue' || !f[col.posting_date!]!.startsWith('2026-01')) continue;
    const credit = f[col.credit!] ? BigInt(f[col.credit!]!.replace('.', '')) : 0n;
    const debit = f[col.debit!] ? BigInt(f[col.debit!]!.replace('.', '')) : 0n;
    total += credit - debit;
  }
  return total;
}

let b: Books | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

describe('rules over customer metadata', () => {
  it('a customer whose metadata matches gets the rule: all of the year at booking', async () => {
    const lines = linesWithCustomer({ segment: 'enterprise' });
    b = await freshBooks(lines, 'acct_golden', { amortization: 'monthly_even', rules: [ENTERPRISE_UPFRONT] });
    await deliver(b, eventsOf(lines));
    expect(januaryRevenue(await settle(b, '2026-01-31'))).toBe(120_000n);
  });

  it('a customer whose metadata does not match is earned ratably, as without the rule', async () => {
    const lines = linesWithCustomer({ segment: 'smb' });
    b = await freshBooks(lines, 'acct_golden', { amortization: 'monthly_even', rules: [ENTERPRISE_UPFRONT] });
    await deliver(b, eventsOf(lines));
    expect(januaryRevenue(await settle(b, '2026-01-31'))).toBe(10_000n);
  });

  it('the booked facts keep the metadata, so a rule added later would move the invoice', async () => {
    const lines = linesWithCustomer({ segment: 'enterprise' });
    b = await freshBooks(lines, 'acct_golden', { amortization: 'monthly_even' });
    await deliver(b, eventsOf(lines));
    expect(januaryRevenue(await settle(b, '2026-01-31'))).toBe(10_000n);
    const preview = await previewRuleChange(b.t.db, b.tenant, {
      rules: [...(await rulesInForce(b.t.db, b.tenant)), ENTERPRISE_UPFRONT],
    });
    expect(preview.invoices.some((i) => i.invoice.includes('in_annual'))).toBe(true);
    const january = preview.periods.find((p) => p.period === '2026-01');
    expect(january?.revenueMinor).toBe(110_000n);
  });
});
