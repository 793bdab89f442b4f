/**
 * 0007 — the backfill snapshot: every object a backfill listed, indexed by the links processing
 * follows (an invoice's payments, a payment intent's charges and invoice payment). Processing a
 * backfill's events answers its reads from here instead of asking Stripe once per object.
 *
 * `payload` is null when the object's synthetic event (`bf_<object id>`) already carries it, so
 * an object listed for booking is stored once.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
create table backfill_objects (
  tenant_id bigint not null references tenants (id),
  object_id text not null,
  object_type text not null,
  invoice_id text,
  payment_intent_id text,
  charge_id text,
  created bigint not null,
  payload jsonb,
  listed_at timestamptz not null default now(),
  primary key (tenant_id, object_id)
);
create index backfill_objects_invoice on backfill_objects (tenant_id, invoice_id) where invoice_id is not null;
create index backfill_objects_payment_intent on backfill_objects (tenant_id, payment_intent_id) where payment_intent_id is not null;
create index backfill_objects_charge on backfill_objects (tenant_id, charge_id) where charge_id is not null;
`,
    )
    .execute(db);
}
