/**
 * 0020 — rates fetched from a tenant's rate provider (docs/accounting.md §3, "Foreign
 * currency"), one row per (tenant, date, pair), and an `fx_rates` kind in the exception queue for
 * a provider that is down or answers something unusable. Numbered apart from the migrations other
 * work adds at the same time; the order among them does not matter.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
create table fx_provider_rates (
  tenant_id bigint not null references tenants(id),
  rate_date date not null,
  from_currency text not null check (from_currency ~ '^[a-z]{3}$'),
  to_currency text not null check (to_currency ~ '^[a-z]{3}$'),
  rate numeric not null check (rate > 0),
  fetched_at timestamptz not null default now(),
  primary key (tenant_id, rate_date, from_currency, to_currency)
);
alter table exceptions drop constraint exceptions_kind_check;
alter table exceptions add constraint exceptions_kind_check check (kind in
  ('stripe_event', 'mapping', 'engine', 'qbo_post', 'reconcile', 'recognition_changed', 'fx_rates'));
`,
    )
    .execute(db);
}
