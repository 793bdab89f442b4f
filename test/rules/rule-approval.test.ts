/**
 * A rule change that moves more revenue in a period than the tenant's materiality threshold waits
 * in the approval queue (nothing saved, nothing posted) until a second user with the approver role
 * approves it; then it is saved and re-applied as if made then. Under the threshold it applies at
 * once. The scenario is the annual plan of `retroactive.test.ts` (the split moves 330.00 in January).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { approveChange, listApprovals } from '../../backend/app/approvals/queue.ts';
import { saveForTenant } from '../../backend/app/rules/rule-list.ts';
import { loadRules } from '../../backend/app/rules/rule-store.ts';
import { RuleSchema, type Rule } from '../../shared/settings.ts';
import { deliver, eventsOf, freshBooks, goldenLines, settle, type Books } from '../support/scenario.ts';

const SPLIT: Rule = RuleSchema.parse({
  id: 'pro-split',
  position: 1,
  conditions: { products: ['prod_pro'] },
  split: [
    { name: 'Subscription Revenue', percent: '70', rule: 'ratable' },
    { name: 'Onboarding Revenue', percent: '30', rule: 'point_in_time', trigger: 'booking' },
  ],
});

let b: Books;
const entries = async () =>
  Number(
    (
      await b.t.db
        .selectFrom('journal_entries')
        .select((e) => e.fn.countAll<string>().as('n'))
        .where('tenant_id', '=', b.tenant.id)
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  // Threshold 100.00: the split moves 330.00 of revenue in January.
  b = await freshBooks(goldenLines(['annual-monthly-even']), 'acct_golden', {
    amortization: 'monthly_even',
    approval_threshold_minor: 10_000,
  });
  await deliver(b, eventsOf(goldenLines(['annual-monthly-even'])));
  await settle(b, '2026-03-31');
});
afterAll(async () => {
  await b?.close();
});

it('queues a rule change above the threshold, saving and posting nothing until a second user approves', async () => {
  const before = await entries();
  const saved = await saveForTenant(b.t.db, b.tenant, 'cli:alice', {
    revision: 0,
    rules: [SPLIT],
    reason: 'onboarding fee',
  });
  expect(saved.approval?.summary).toMatch(/moves up to 330\.00 USD/);
  expect(saved.change_id).toBe('');
  expect(await loadRules(b.t.db, b.tenant.id)).toEqual([]);
  expect(await entries()).toBe(before);
  const pending = await listApprovals(b.t.db, b.tenant, { status: 'pending' });
  expect(pending.map((a) => [a.kind, a.requestedBy, a.movementMinor])).toEqual([['rule_change', 'cli:alice', '33000']]);

  // The requester may not approve their own change.
  await expect(
    approveChange(b.t.db, b.tenant, saved.approval!.id, { actor: 'cli:alice', isApprover: true }),
  ).rejects.toMatchObject({ code: 'forbidden' });
  const approved = await approveChange(b.t.db, b.tenant, saved.approval!.id, { actor: 'cli:bob', isApprover: true });
  expect(approved.status).toBe('approved');
  expect((await loadRules(b.t.db, b.tenant.id)).map((r) => r.id)).toEqual(['pro-split']);
  expect(await entries()).toBeGreaterThan(before);
});

it('applies at once a change that moves no more than the threshold', async () => {
  const again = await saveForTenant(b.t.db, b.tenant, 'cli:alice', { revision: 1, rules: [SPLIT] });
  expect(again.approval).toBeUndefined();
  expect(again.change_id).not.toBe('');
  expect(again.entries_posted).toBe(0);
});
