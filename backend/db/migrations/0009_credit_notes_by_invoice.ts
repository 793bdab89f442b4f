/**
 * 0009 — credit notes in the backfill snapshot are indexed by their invoice, like invoice
 * payments, so mapping a refund can find the credit note that made it without asking Stripe.
 * Rows listed before this migration get the link from the object they hold (or that their
 * synthetic event carries).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
update backfill_objects o
   set invoice_id = coalesce(
         o.payload ->> 'invoice',
         (select e.payload -> 'data' -> 'object' ->> 'invoice' from stripe_events e where e.id = 'bf_' || o.object_id and e.tenant_id = o.tenant_id))
 where o.object_type = 'credit_note' and o.invoice_id is null;
`,
    )
    .execute(db);
}
