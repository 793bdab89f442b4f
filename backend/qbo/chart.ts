/**
 * The chart of accounts on the QuickBooks side: which QuickBooks AccountTypes may carry each
 * Accrue role (derived from the role's kind in `ROLE_INFO`, so the two never disagree), checks of
 * a tenant's mapping against the live chart (deleted, inactive, wrong type), and proposals for
 * the accounts that are missing — reuse an account with the right name and type, else create one
 * with the role's suggested type (bad debt's follows the tenant's presentation) — plus creating
 * them through the adapter.
 */
import { roleInfo, type AccountKind, type AccountRole, type RolePresentation } from '../../shared/accounts.ts';
import { isQboApiError, type QboAccount, type QboAdapter } from './adapter.ts';
import { mappingKey, type MappedAccount } from './posting.ts';

/**
 * AccountTypes acceptable for each kind. Contra accounts live under the type they reduce
 * (discounts under Income, deferred discounts under a liability type); exchange differences may
 * be booked as other income or other expense.
 */
export const ACCOUNT_TYPES_BY_KIND: Record<AccountKind, readonly string[]> = {
  asset: ['Bank', 'Accounts Receivable', 'Other Current Asset', 'Other Asset', 'Fixed Asset'],
  contra_liability: ['Other Current Liability', 'Long Term Liability'],
  liability: ['Other Current Liability', 'Long Term Liability'],
  income: ['Income'],
  contra_income: ['Income'],
  expense: ['Expense', 'Cost of Goods Sold', 'Other Expense'],
  other_income: ['Other Income', 'Income'],
  other_expense: ['Other Expense', 'Expense'],
};

/** QuickBooks names are at most 100 characters and may not contain `:` (the sub-account separator) or `"`. */
export const ACCOUNT_NAME_MAX_CHARS = 100;
/** Suffix used when the natural name is taken by an account of the wrong type. */
export const NAME_CONFLICT_SUFFIX = ' (Accrue)';

/**
 * AccountTypes a role may be mapped to: its kind's types plus the type it suggests. Bad debt's kind
 * follows the tenant's `bad_debt_as_contra` (Expense types by default, Income as a price
 * concession); without the tenant's presentation either is accepted.
 */
export function allowedAccountTypes(role: AccountRole, presentation?: RolePresentation): string[] {
  const infos = presentation
    ? [roleInfo(role, presentation)]
    : [roleInfo(role), roleInfo(role, { bad_debt_as_contra: true })];
  return [...new Set(infos.flatMap((info) => [...ACCOUNT_TYPES_BY_KIND[info.kind], info.qbo.type]))];
}

export interface RoleAccount {
  role: AccountRole;
  /** The ledger's account name (role default or a product/bundle account). */
  account: string;
}

export interface MappingEntry extends RoleAccount {
  accountId: string;
}

export type MappingProblemKind = 'unmapped' | 'missing' | 'inactive' | 'wrong_type';

export interface MappingProblem extends RoleAccount {
  kind: MappingProblemKind;
  accountId?: string | undefined;
  message: string;
}

/**
 * Checks mapped accounts against the live chart (which must include inactive accounts).
 * `needed` lists every (role, account) the ledger uses; those without a mapping are `unmapped`.
 */
export function checkMapping(
  mapping: readonly MappingEntry[],
  chart: readonly QboAccount[],
  needed: readonly RoleAccount[] = [],
): MappingProblem[] {
  const byId = new Map(chart.map((a) => [a.Id, a]));
  const problems: MappingProblem[] = [];
  const mapped = new Set(mapping.map((m) => mappingKey(m.role, m.account)));
  for (const n of needed) {
    if (!mapped.has(mappingKey(n.role, n.account)))
      problems.push({ ...n, kind: 'unmapped', message: `${n.role} "${n.account}" has no QuickBooks account` });
  }
  for (const m of mapping) {
    const a = byId.get(m.accountId);
    if (!a) {
      problems.push({
        role: m.role,
        account: m.account,
        accountId: m.accountId,
        kind: 'missing',
        message: `QuickBooks account ${m.accountId} no longer exists`,
      });
    } else if (a.Active === false) {
      problems.push({
        role: m.role,
        account: m.account,
        accountId: m.accountId,
        kind: 'inactive',
        message: `QuickBooks account "${a.Name}" was made inactive`,
      });
    } else if (!allowedAccountTypes(m.role).includes(a.AccountType)) {
      problems.push({
        role: m.role,
        account: m.account,
        accountId: m.accountId,
        kind: 'wrong_type',
        message: `"${a.Name}" is ${a.AccountType}; ${m.role} needs one of ${allowedAccountTypes(m.role).join(', ')}`,
      });
    }
  }
  return problems;
}

export type AccountProposal =
  | (RoleAccount & { action: 'use_existing'; accountId: string; accountType: string; name: string })
  | (RoleAccount & { action: 'create'; create: { Name: string; AccountType: string; AccountSubType: string } });

function cleanName(name: string): string {
  return name.replace(/[:"]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, ACCOUNT_NAME_MAX_CHARS);
}

/**
 * For each (role, account) not yet mapped: reuse an active account with the same name and an
 * allowed type, else propose creating one with the role's suggested type and sub-type. Nothing is
 * created here; the tenant confirms first (create accounts only with consent).
 */
export function proposeAccounts(
  needed: readonly RoleAccount[],
  chart: readonly QboAccount[],
  presentation?: RolePresentation,
): AccountProposal[] {
  const byName = new Map(chart.map((a) => [a.Name.toLowerCase(), a]));
  const taken = new Set(chart.map((a) => a.Name.toLowerCase()));
  const out: AccountProposal[] = [];
  const seen = new Set<string>();
  for (const n of needed) {
    const k = mappingKey(n.role, n.account);
    if (seen.has(k)) continue;
    seen.add(k);
    const name = cleanName(n.account);
    const existing = byName.get(name.toLowerCase());
    const allowed = allowedAccountTypes(n.role, presentation ?? {});
    if (existing && existing.Active !== false && allowed.includes(existing.AccountType)) {
      out.push({
        ...n,
        action: 'use_existing',
        accountId: existing.Id,
        accountType: existing.AccountType,
        name: existing.Name,
      });
      continue;
    }
    let finalName = name;
    if (taken.has(finalName.toLowerCase()))
      finalName = cleanName(
        `${name.slice(0, ACCOUNT_NAME_MAX_CHARS - NAME_CONFLICT_SUFFIX.length)}${NAME_CONFLICT_SUFFIX}`,
      );
    taken.add(finalName.toLowerCase());
    const info = roleInfo(n.role, presentation);
    out.push({
      ...n,
      action: 'create',
      create: { Name: finalName, AccountType: info.qbo.type, AccountSubType: info.qbo.subType },
    });
  }
  return out;
}

/**
 * Applies confirmed proposals: creates the accounts to create, and returns the full mapping. An
 * account that appeared meanwhile under the same name (6240) is looked up and used if its type fits.
 */
export async function applyProposals(
  api: Pick<QboAdapter, 'createAccount' | 'listAccounts'>,
  proposals: readonly AccountProposal[],
): Promise<Map<string, MappedAccount>> {
  const out = new Map<string, MappedAccount>();
  for (const p of proposals) {
    const key = mappingKey(p.role, p.account);
    if (p.action === 'use_existing') {
      out.set(key, { id: p.accountId, accountType: p.accountType, name: p.name });
      continue;
    }
    try {
      const a = await api.createAccount(p.create);
      out.set(key, { id: a.Id, accountType: a.AccountType, name: a.Name });
    } catch (e) {
      if (!(isQboApiError(e) && e.error.code === '6240')) throw e;
      const chart = await api.listAccounts({ includeInactive: true });
      const a = chart.find((x) => x.Name.toLowerCase() === p.create.Name.toLowerCase());
      if (!a || a.Active === false || !allowedAccountTypes(p.role).includes(a.AccountType)) throw e;
      out.set(key, { id: a.Id, accountType: a.AccountType, name: a.Name });
    }
  }
  return out;
}
