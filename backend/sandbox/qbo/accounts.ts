/**
 * Accounts and customers in the fake company: creation with QuickBooks' validation (required
 * name, known account type, case-insensitive name uniqueness) and sparse or full account updates
 * (docs/quickbooks.md §4 Accounts and queries).
 */
import { ACCOUNT_NAME_MAX_CHARS } from './limits.ts';
import { clone } from './format.ts';
import {
  INACTIVE_NAME,
  missingParam,
  objectNotFound,
  DELETED_TRANSACTION,
  staleObject,
  tooLong,
  validationFault,
} from './faults.ts';
import { meta, table, type Realm } from './realm.ts';
import type { Json } from './types.ts';

export const ACCOUNT_TYPES = [
  'Bank',
  'Accounts Receivable',
  'Other Current Asset',
  'Fixed Asset',
  'Other Asset',
  'Accounts Payable',
  'Credit Card',
  'Other Current Liability',
  'Long Term Liability',
  'Equity',
  'Income',
  'Cost of Goods Sold',
  'Expense',
  'Other Income',
  'Other Expense',
  'Non-Posting',
] as const;

/** The Classification QuickBooks derives from each AccountType. */
const CLASSIFICATION: Record<string, string> = {
  Bank: 'Asset',
  'Accounts Receivable': 'Asset',
  'Other Current Asset': 'Asset',
  'Fixed Asset': 'Asset',
  'Other Asset': 'Asset',
  'Accounts Payable': 'Liability',
  'Credit Card': 'Liability',
  'Other Current Liability': 'Liability',
  'Long Term Liability': 'Liability',
  Equity: 'Equity',
  Income: 'Revenue',
  'Other Income': 'Revenue',
  'Cost of Goods Sold': 'Expense',
  Expense: 'Expense',
  'Other Expense': 'Expense',
  'Non-Posting': 'Non-Posting',
};

export interface SeedAccount {
  Name: string;
  AccountType: string;
  AccountSubType?: string;
  Active?: boolean;
}

/** A small default chart, like a new QuickBooks company's. */
export const DEFAULT_CHART: SeedAccount[] = [
  { Name: 'Checking', AccountType: 'Bank', AccountSubType: 'Checking' },
  { Name: 'Accounts Receivable (A/R)', AccountType: 'Accounts Receivable', AccountSubType: 'AccountsReceivable' },
  { Name: 'Undeposited Funds', AccountType: 'Other Current Asset', AccountSubType: 'UndepositedFunds' },
  { Name: 'Services', AccountType: 'Income', AccountSubType: 'ServiceFeeIncome' },
  { Name: 'Bank Charges', AccountType: 'Expense', AccountSubType: 'BankCharges' },
  { Name: 'Opening Balance Equity', AccountType: 'Equity', AccountSubType: 'OpeningBalanceEquity' },
];

/** Refuses a name another object of the entity already has (QuickBooks compares case-insensitively). */
function assertUniqueName(realm: Realm, entity: string, field: string, name: string): void {
  for (const o of table(realm, entity).values()) {
    if (String(o.data[field]).toLowerCase() === name.toLowerCase()) {
      throw validationFault(
        '6240',
        'Duplicate Name Exists Error',
        `The name supplied already exists. : Id=${o.data.Id}`,
      );
    }
  }
}

export function createAccount(realm: Realm, body: Json): Json {
  if (body.Id !== undefined) throw objectNotFound(DELETED_TRANSACTION);
  const name = typeof body.Name === 'string' ? body.Name.trim() : '';
  if (!name) throw missingParam('Name');
  if (name.length > ACCOUNT_NAME_MAX_CHARS) throw tooLong('Name is too long', 'Name');
  if (!body.AccountType && !body.AccountSubType)
    throw validationFault('6010', 'Invalid account type', 'You must select an account type and detail type.');
  if (body.AccountType && !(ACCOUNT_TYPES as readonly string[]).includes(body.AccountType)) {
    throw validationFault('2170', 'Invalid Enumeration', `Invalid Enumeration : ${body.AccountType}`, 'AccountType');
  }
  assertUniqueName(realm, 'Account', 'Name', name);
  const now = realm.clock.now_ms();
  const id = String(realm.nextId++);
  const type = body.AccountType ?? 'Other Current Asset';
  const account: Json = {
    Name: name,
    SubAccount: false,
    FullyQualifiedName: name,
    Active: body.Active ?? true,
    Classification: CLASSIFICATION[type],
    AccountType: type,
    AccountSubType: body.AccountSubType ?? undefined,
    CurrentBalance: 0,
    CurrentBalanceWithSubAccounts: 0,
    CurrencyRef: { value: realm.homeCurrency, name: realm.homeCurrency },
    domain: 'QBO',
    sparse: false,
    Id: id,
    SyncToken: '0',
    MetaData: meta(now, now),
  };
  if (body.Description) account.Description = body.Description;
  if (body.AcctNum) account.AcctNum = body.AcctNum;
  table(realm, 'Account').set(id, { data: clone(account), updated_ms: now });
  return account;
}

export function updateAccount(realm: Realm, body: Json): Json {
  const current = table(realm, 'Account').get(String(body.Id));
  if (!current) throw objectNotFound(INACTIVE_NAME);
  if (String(body.SyncToken) !== current.data.SyncToken)
    throw staleObject('Stale Object Error : You and another user were working on the same thing.');
  const next = body.sparse === false ? { ...body } : { ...current.data, ...body };
  delete next.sparse;
  const now = realm.clock.now_ms();
  next.Id = current.data.Id;
  next.SyncToken = String(Number(current.data.SyncToken) + 1);
  next.domain = 'QBO';
  next.sparse = false;
  next.Classification = CLASSIFICATION[next.AccountType];
  next.FullyQualifiedName = next.Name;
  next.MetaData = meta(Date.parse(current.data.MetaData.CreateTime), now);
  current.data = clone(next);
  current.updated_ms = now;
  return next;
}

export function createCustomer(realm: Realm, body: Json): Json {
  const given = [body.GivenName, body.FamilyName].filter(Boolean).join(' ');
  const name = String(body.DisplayName || given || body.CompanyName || '').trim();
  if (!name)
    throw validationFault(
      '6080',
      'Name required',
      'You must fill out at least one of: Title, First, Middle, Last, Suffix, Display Name, Company.',
    );
  assertUniqueName(realm, 'Customer', 'DisplayName', name);
  const now = realm.clock.now_ms();
  const id = String(realm.nextId++);
  const customer: Json = {
    ...body,
    DisplayName: name,
    FullyQualifiedName: name,
    PrintOnCheckName: name,
    Active: body.Active ?? true,
    Balance: 0,
    domain: 'QBO',
    sparse: false,
    Id: id,
    SyncToken: '0',
    MetaData: meta(now, now),
  };
  table(realm, 'Customer').set(id, { data: clone(customer), updated_ms: now });
  return customer;
}
