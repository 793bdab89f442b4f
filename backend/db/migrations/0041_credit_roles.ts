/**
 * 0041 — the accounts' role check follows the chart of roles again: the billing-credit and
 * stored-value roles (`prepaid_credits`, `stored_value`, `breakage`, `escheat_liability`) become
 * valid in databases created before them. The check is re-created from the current list, so it
 * also carries any role another migration added before this one.
 */
import { sql, type Kysely } from 'kysely';
import { ACCOUNT_ROLES } from '../../../shared/accounts.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  const roles = ACCOUNT_ROLES.map((r) => `'${r}'`).join(', ');
  await sql
    .raw(
      `
alter table accounts drop constraint accounts_role_check;
alter table accounts add constraint accounts_role_check check (role in (${roles}));
`,
    )
    .execute(db);
}
