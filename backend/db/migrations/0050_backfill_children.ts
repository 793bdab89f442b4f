/**
 * 0050 — the backfill snapshot holds the lists that hang off a listed object, each row naming its
 * parent and its place in the parent's list (Stripe's order, newest first, which processing keeps):
 * a credit grant's credit balance transactions, a customer's balance transactions. Mapping
 * a grant, an invoice paid with credits or a gift card's redemption then reads them from the
 * snapshot instead of asking Stripe.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
alter table backfill_objects add column parent_id text, add column parent_position integer;
create index backfill_objects_parent on backfill_objects (tenant_id, parent_id) where parent_id is not null;
`,
    )
    .execute(db);
}
