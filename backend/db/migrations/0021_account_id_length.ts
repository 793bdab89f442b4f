/**
 * 0021 — a Stripe account id is at most 255 characters (ACCOUNT_ID_LENGTH_MAX, checked where ids
 * enter); the database refuses a longer one too, whatever path wrote it.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`alter table tenants add constraint tenants_account_id_length check (length(stripe_account_id) <= 255);`)
    .execute(db);
}
