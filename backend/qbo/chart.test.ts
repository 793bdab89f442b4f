// Proves the chart-of-accounts rules: allowed AccountTypes follow each role's kind from ROLE_INFO
// (deferred revenue must be a liability, revenue Income, fees Expense); mapping checks catch
// deleted, inactive and wrong-type accounts; proposals reuse fitting accounts and create the rest
// with sensible names; applying them against the fake creates real accounts, once.
import { ACCOUNT_ROLES, ROLE_INFO } from '../../shared/accounts.ts';
import { startFakeQbo, type FakeQbo } from '../sandbox/qbo/server.ts';
import { QboAdapter } from './adapter.ts';
import { allowedAccountTypes, applyProposals, checkMapping, proposeAccounts } from './chart.ts';
import { configureQboEndpoints } from './endpoints.ts';
import { mappingKey } from './posting.ts';

describe('chart of accounts', () => {
  it('derives allowed types from the role kind', () => {
    expect(allowedAccountTypes('deferred_revenue')).toEqual(['Other Current Liability', 'Long Term Liability']);
    expect(allowedAccountTypes('revenue')).toEqual(['Income']);
    expect(allowedAccountTypes('fees')).toContain('Expense');
    expect(allowedAccountTypes('fees')).not.toContain('Income');
    expect(allowedAccountTypes('receivable')).toContain('Accounts Receivable');
    // Every role's suggested type is allowed for it.
    for (const role of ACCOUNT_ROLES) expect(allowedAccountTypes(role)).toContain(ROLE_INFO[role].qbo.type);
  });

  it('finds unmapped, deleted, inactive and wrong-type mappings', () => {
    const chart = [
      { Id: '1', Name: 'Deferred Revenue', AccountType: 'Other Current Liability', Active: true },
      { Id: '2', Name: 'Old Revenue', AccountType: 'Income', Active: false },
      { Id: '3', Name: 'Checking', AccountType: 'Bank', Active: true },
    ];
    const problems = checkMapping(
      [
        { role: 'deferred_revenue', account: 'Deferred Revenue', accountId: '1' },
        { role: 'revenue', account: 'Revenue', accountId: '2' },
        { role: 'fees', account: 'Stripe Fees', accountId: '3' },
        { role: 'bank', account: 'Bank', accountId: '99' },
      ],
      chart,
      [
        { role: 'tax_liability', account: 'Sales Tax Payable' },
        { role: 'revenue', account: 'Revenue' },
      ],
    );
    expect(problems.map((p) => [p.kind, p.role])).toEqual([
      ['unmapped', 'tax_liability'],
      ['inactive', 'revenue'],
      ['wrong_type', 'fees'],
      ['missing', 'bank'],
    ]);
  });

  describe('against the fake', () => {
    let fake: FakeQbo;
    let api: QboAdapter;
    let realmId: string;
    beforeAll(async () => {
      fake = await startFakeQbo();
      realmId = fake.createRealm();
      // "Deferred Revenue" exists but as the wrong type; "Stripe Fees" exists and fits.
      fake.seedAccounts(realmId, [
        { Name: 'Deferred Revenue', AccountType: 'Income', AccountSubType: 'ServiceFeeIncome' },
        { Name: 'Stripe Fees', AccountType: 'Expense', AccountSubType: 'BankCharges' },
      ]);
      configureQboEndpoints({ QBO_API_BASE: fake.url });
      api = new QboAdapter({ realmId, accessToken: fake.issueAccessToken(realmId) });
    });
    afterAll(async () => fake.close());

    it('proposes, creates missing accounts with the right types, and detects later deactivation', async () => {
      const needed = [
        { role: 'deferred_revenue' as const, account: 'Deferred Revenue' },
        { role: 'fees' as const, account: 'Stripe Fees' },
        { role: 'revenue' as const, account: 'Revenue: "Pro" plan' },
      ];
      const chart = await api.listAccounts({ includeInactive: true });
      const proposals = proposeAccounts(needed, chart);
      expect(proposals.map((p) => p.action)).toEqual(['create', 'use_existing', 'create']);
      const dr = proposals[0]!;
      expect(dr.action === 'create' && dr.create).toEqual({
        Name: 'Deferred Revenue (Accrue)',
        AccountType: 'Other Current Liability',
        AccountSubType: 'DeferredRevenue',
      });
      const rev = proposals[2]!;
      expect(rev.action === 'create' && rev.create.Name).toBe('Revenue Pro plan');

      const mapping = await applyProposals(api, proposals);
      expect(mapping.get(mappingKey('deferred_revenue', 'Deferred Revenue'))!.accountType).toBe(
        'Other Current Liability',
      );
      const after = await api.listAccounts({ includeInactive: true });
      expect(after.filter((a) => a.Name === 'Deferred Revenue (Accrue)')).toHaveLength(1);
      const entries = [...mapping].map(([k, v]) => {
        const [role, account] = k.split('\u0000') as [(typeof needed)[number]['role'], string];
        return { role, account, accountId: v.id };
      });
      expect(checkMapping(entries, after, needed)).toEqual([]);

      // An accountant makes the revenue account inactive: the next check catches it, and the
      // default query (active only) no longer lists it.
      const revId = mapping.get(mappingKey('revenue', 'Revenue: "Pro" plan'))!.id;
      fake.setAccountActive(realmId, revId, false);
      const problems = checkMapping(entries, await api.listAccounts({ includeInactive: true }), needed);
      expect(problems).toEqual([expect.objectContaining({ kind: 'inactive', accountId: revId })]);
      expect((await api.listAccounts()).some((a) => a.Id === revId)).toBe(false);

      // Creating again is idempotent by name: 6240 → reuse.
      const again = await applyProposals(
        api,
        proposals.filter((p) => p.role === 'deferred_revenue'),
      );
      expect(again.get(mappingKey('deferred_revenue', 'Deferred Revenue'))!.id).toBe(
        mapping.get(mappingKey('deferred_revenue', 'Deferred Revenue'))!.id,
      );
    });
  });
});
