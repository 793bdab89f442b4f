/**
 * 0043 — the accounts' role check follows the chart of roles again, now with `connected_payable`
 * (Due to Connected Accounts: a Connect platform's liability for the connected account's share of
 * a charge, under `connect_revenue = agent`). Same pattern as 0030: the check is re-created from
 * the list in shared/accounts.ts, so old and new databases end with the same check.
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
