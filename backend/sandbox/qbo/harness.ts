/**
 * Test wiring around the fake QuickBooks: a realm seeded with the accounts the ledger generator
 * uses, the matching account mapping, and a real adapter (node-quickbooks) pointed at the fake.
 */
import { QboAdapter } from '../../qbo/adapter.ts';
import { configureQboEndpoints } from '../../qbo/endpoints.ts';
import { mappingKey, type MappedAccount } from '../../qbo/posting.ts';
import { ROLE_INFO } from '../../../shared/accounts.ts';
import { GENERATED_ACCOUNTS } from './ledger.ts';
import { startFakeQbo, type FakeQbo, type FakeQboOptions } from './server.ts';

export interface Harness {
  fake: FakeQbo;
  realmId: string;
  api: QboAdapter;
  accounts: Map<string, MappedAccount>;
  /** Mapping key → QuickBooks account id. */
  accountIds: Map<string, string>;
}

export async function startHarness(
  opts: FakeQboOptions & { receivableAsAR?: boolean; timeout_ms?: number; multicurrency?: boolean } = {},
): Promise<Harness> {
  const fake = await startFakeQbo(opts);
  const realmId = fake.createRealm({ companyName: 'Harness Co', multicurrency: opts.multicurrency ?? false });
  configureQboEndpoints({ QBO_API_BASE: fake.url, QBO_OAUTH_BASE: fake.url });
  const accounts = new Map<string, MappedAccount>();
  const accountIds = new Map<string, string>();
  const arId = fake.accounts(realmId).find((a) => a.AccountType === 'Accounts Receivable')!.Id as string;
  for (const { role, account } of GENERATED_ACCOUNTS) {
    if (role === 'receivable' && opts.receivableAsAR) {
      accounts.set(mappingKey(role, account), {
        id: arId,
        accountType: 'Accounts Receivable',
        name: 'Accounts Receivable (A/R)',
      });
      accountIds.set(mappingKey(role, account), arId);
      continue;
    }
    const info = ROLE_INFO[role];
    const [id] = fake.seedAccounts(realmId, [
      { Name: account, AccountType: info.qbo.type, AccountSubType: info.qbo.subType },
    ]);
    accounts.set(mappingKey(role, account), { id: id!, accountType: info.qbo.type, name: account });
    accountIds.set(mappingKey(role, account), id!);
  }
  const api = new QboAdapter({ realmId, accessToken: fake.issueAccessToken(realmId), timeout_ms: opts.timeout_ms });
  return { fake, realmId, api, accounts, accountIds };
}
