/**
 * 0030 — the accounts' role check follows the chart of roles again: roles added since 0001
 * (`unmatched_cash`, `platform_fees`, `connect_transfers`, `application_fees`, `shipping`) become valid in databases created
 * before them. A new database already has them from 0001, which reads the same list; this
 * re-creates the check from that list, so it is the same either way.
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
