/**
 * 0010 — state that several Accrue processes share through the database instead of memory:
 * QuickBooks' per-company budget (a row per connected company, holding a pause after a 429, and
 * a lease per call in flight or started within the last minute), and the QuickBooks connect
 * attempts the App started (pending until used or expired) with the last failure per tenant.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
create table qbo_realm_budget (
  tenant_id bigint not null references tenants (id),
  realm_id text not null,
  paused_until timestamptz,
  primary key (tenant_id, realm_id)
);

create table qbo_call_leases (
  tenant_id bigint not null,
  realm_id text not null,
  id uuid not null,
  started_at timestamptz not null,
  expires_at timestamptz not null,
  finished_at timestamptz,
  primary key (tenant_id, realm_id, id),
  foreign key (tenant_id, realm_id) references qbo_realm_budget (tenant_id, realm_id)
);
create index qbo_call_leases_started on qbo_call_leases (tenant_id, realm_id, started_at);

create table qbo_connect_attempts (
  tenant_id bigint not null,
  state_hash text not null,
  started_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (tenant_id, state_hash)
);
create index qbo_connect_attempts_state on qbo_connect_attempts (state_hash);

create table qbo_connect_failures (
  tenant_id bigint primary key,
  failed_at timestamptz not null,
  message text not null
);
`,
    )
    .execute(db);
}
