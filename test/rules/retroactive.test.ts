/**
 * Retroactive rule changes on real PostgreSQL: a rule added after two periods closed re-books the
 * open period in place and posts the closed periods' differences as corrections in the first
 * open period, each with the change as its cause; the preview said the same before the save.
 * The expected journal is hand-written (retroactive-closed-period/README.md has the arithmetic).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRuleChange, previewRuleChange } from '../../backend/app/rules/rule-change.ts';
import { getRules, rulesOf } from '../../backend/app/rules/rule-list.ts';
import { loadRules } from '../../backend/app/rules/rule-store.ts';
import { RulesResponseSchema } from '../../shared/api/rules.ts';
import { runCommand } from '../../backend/cli/framework.ts';
import { rulesCommand } from '../../backend/cli/rules.ts';
import { closePeriod } from '../../backend/ledger/periods.ts';
import { RuleSchema, type Rule } from '../../shared/settings.ts';
import { deliver, eventsOf, freshBooks, goldenLines, settle, type Books } from '../support/scenario.ts';

const here = dirname(fileURLToPath(import.meta.url));
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
let before = '';
beforeAll(async () => {
  b = await freshBooks(goldenLines(['annual-monthly-even']), 'acct_golden', { amortization: 'monthly_even' });
  await deliver(b, eventsOf(goldenLines(['annual-monthly-even'])));
  await settle(b, '2026-03-31');
  await closePeriod(b.t.db, b.tenant, '2026-01', 'tester', Date.parse('2026-04-02T00:00:00Z'));
  await closePeriod(b.t.db, b.tenant, '2026-02', 'tester', Date.parse('2026-04-02T00:00:00Z'));
  before = await journalOf((q) => q);
});
afterAll(async () => {
  await b?.close();
});

type Query = ReturnType<typeof baseQuery>;
function baseQuery() {
  return b.t.db
    .selectFrom('journal_lines as l')
    .innerJoin('journal_entries as e', (j) =>
      j.onRef('e.id', '=', 'l.entry_id').onRef('e.tenant_id', '=', 'l.tenant_id'),
    )
    .innerJoin('accounts as a', (j) => j.onRef('a.id', '=', 'l.account_id').onRef('a.tenant_id', '=', 'l.tenant_id'))
    .where('e.tenant_id', '=', b.tenant.id);
}
async function journalOf(filter: (q: Query) => Query): Promise<string> {
  const rows = await filter(baseQuery())
    .select([
      'e.period_key',
      'e.posting_date',
      'e.idempotency_key',
      'a.name',
      'l.amount_minor',
      'e.correction',
      'e.original_date',
    ])
    .orderBy('e.posting_date')
    .orderBy('e.idempotency_key')
    .orderBy('l.line_no')
    .execute();
  const money = (v: bigint) => `${v / 100n}.${(v % 100n).toString().padStart(2, '0')}`;
  const lines = rows.map((r) => {
    const amount = BigInt(r.amount_minor);
    const key = r.idempotency_key.replace(/:adj:[0-9a-f]{12}$/, ':adj:*');
    const [debit, credit] = amount >= 0n ? [money(amount), ''] : ['', money(-amount)];
    return [r.period_key, r.posting_date, key, r.name, debit, credit, r.correction, r.original_date ?? ''].join(',');
  });
  return ['period,posting_date,entry,account,debit,credit,correction,original_date', ...lines].join('\n') + '\n';
}

describe('a rule added over two closed periods', () => {
  it('previews the revenue each period moves and where it posts, writing nothing', async () => {
    const preview = await previewRuleChange(b.t.db, b.tenant, { rules: [SPLIT] });
    expect(preview.periods.map((p) => [p.period, p.closed, p.postsIn, p.revenueMinor])).toEqual([
      ['2026-01', true, '2026-03', 33000n],
      ['2026-02', true, '2026-03', -3000n],
      ['2026-03', false, '2026-03', -3000n],
    ]);
    expect(preview.invoices.map((i) => [i.invoice, i.customer])).toEqual([['in_annual', 'cus_golden']]);
    expect(await journalOf((q) => q)).toBe(before);
    expect(await loadRules(b.t.db, b.tenant.id)).toEqual([]);
  });

  it('posts the hand-derived corrections, each caused by the change, and leaves closed periods alone', async () => {
    const applied = await applyRuleChange(b.t.db, b.tenant, 'tester', {
      revision: 0,
      rules: [SPLIT],
      reason: 'onboarding',
    });
    expect(applied.changeId).toBe(1n);
    const cause = `rule-change:${applied.changeId}`;
    const expected = readFileSync(join(here, 'retroactive-closed-period', 'expected.csv'), 'utf8');
    expect(await journalOf((q) => q.where('e.cause', '=', cause))).toBe(expected);
    expect(applied.entriesPosted).toBe(3);
    // Nothing new dated in a closed period; everything that was there is still there.
    const closedNow = await journalOf((q) => q.where('e.period_key', 'in', ['2026-01', '2026-02']));
    const closedBefore = before
      .split('\n')
      .filter((l) => l.startsWith('2026-01,') || l.startsWith('2026-02,') || l.startsWith('period,'))
      .join('\n');
    expect(closedNow.trimEnd()).toBe(closedBefore);
    const totals = await baseQuery()
      .select(['a.name'])
      .select((eb) => eb.fn.sum<string>('l.amount_minor').as('total'))
      .groupBy('a.name')
      .execute();
    const total = (name: string) => BigInt(totals.find((t) => t.name === name)?.total ?? '0');
    expect([total('Revenue'), total('Subscription Revenue'), total('Onboarding Revenue')]).toEqual([
      0n,
      -21000n,
      -36000n,
    ]);
    expect(total('Deferred Revenue')).toBe(-63000n);
  });

  it('refuses a change made on a stale revision, and saving the same rules again posts nothing', async () => {
    await expect(applyRuleChange(b.t.db, b.tenant, 'tester', { revision: 0, rules: [] })).rejects.toMatchObject({
      code: 'conflict',
    });
    const again = await applyRuleChange(b.t.db, b.tenant, 'tester', { revision: 1, rules: [SPLIT] });
    expect(again.entriesPosted).toBe(0);
    expect(again.preview.periods).toEqual([]);
  });
});

describe('accrue rules', () => {
  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const cmd = rulesCommand({ open: async () => ({ db: b.t.db, close: async () => {} }), out: (s) => (out += s) });
    const code = await runCommand(
      cmd,
      args,
      (s) => (out += s),
      (s) => (err += s),
    );
    return { code, out, err };
  }
  const dir = mkdtempSync(join(tmpdir(), 'accrue-rules-'));

  it('preview prints the revenue moved per period and writes nothing', async () => {
    const file = join(dir, 'none.json');
    writeFileSync(file, '[]');
    const before = await loadRules(b.t.db, b.tenant.id);
    const r = await cli(['preview', file, '--tenant', 'acct_golden']);
    expect(r.code).toBe(0);
    // Dropping the split moves January back by 330.00 and February and March up by 30.00.
    expect(r.out).toContain('2026-01');
    expect(r.out).toMatch(/2026-01\s+-\$?330\.00\s+closed: a correction in 2026-03/);
    expect(r.out).toMatch(/2026-03\s+\$?30\.00\s+open/);
    expect(await loadRules(b.t.db, b.tenant.id)).toEqual(before);
  });

  it('a file with two rules in one position is refused, naming the field, exit 2', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ rules: [{ ...SPLIT }, { ...SPLIT, id: 'other' }] }));
    const r = await cli(['preview', file, '--tenant', 'acct_golden']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/rules\.1\.position: position 1 is also rule pro-split/);
  });
});

describe('reading the rule list', () => {
  it('answers the saved list and the product rules as rules, inside the App API contract', async () => {
    const withProducts = {
      ...b.tenant,
      settings: {
        ...b.tenant.settings,
        product_rules: { prod_x: [{ rule: 'exclude' as const, price: 'price_1', effective_from: '2026-02-01' }] },
      },
    };
    const answer = RulesResponseSchema.parse(await rulesOf(b.t.db, withProducts, false));
    expect(answer.rules.map((r) => r.id)).toEqual(['pro-split']);
    expect(answer.product_rules.map((r) => [r.id, r.conditions])).toEqual([
      ['product.prod_x.price_1.from-2026-02-01', { products: ['prod_x'], prices: ['price_1'] }],
    ]);
    const caller = {
      tenant: { accountId: 'acct_golden', livemode: false },
      user: { id: 'usr_1', roles: ['view_only'] },
    };
    const viaApp = await getRules({ db: b.t.db }, caller);
    expect([viaApp.revision, viaApp.can_edit]).toEqual([2, false]);
  });
});
