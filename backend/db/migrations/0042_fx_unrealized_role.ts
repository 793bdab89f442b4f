/**
 * 0042 — the accounts' role check admits `fx_unrealized` (period-end revaluation of foreign balances)
 * in databases created before it. A new database already has it from 0001, which reads the same
 * list; this re-creates the check from that list (as 0030 does), so it is the same either way.
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
