/**
 * 0022 — the accounts' role check follows the chart of accounts again: it is rebuilt from
 * `ACCOUNT_ROLES`, so books created before a role was added (`shipping`) accept it. Running it on
 * books that already allow every role changes nothing.
 */
import { sql, type Kysely } from 'kysely';
import { ACCOUNT_ROLES } from '../../../shared/accounts.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  const roles = ACCOUNT_ROLES.map((r) => `'${r}'`).join(', ');
  await sql.raw('alter table accounts drop constraint if exists accounts_role_check').execute(db);
  await sql.raw(`alter table accounts add constraint accounts_role_check check (role in (${roles}))`).execute(db);
}
