/**
 * 0003 — QuickBooks Online: one connection per tenant (tokens encrypted at rest, with the id of
 * the key that encrypted them), single-use OAuth state nonces, the sync record of every write
 * (its requestid saved before the call), and the Stripe-customer → QuickBooks-customer map.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
create table qbo_connections (
  tenant_id bigint primary key references tenants (id),
  realm_id text not null,
  tokens_ciphertext text not null,
  access_expires_at timestamptz not null,
  refresh_expires_at timestamptz not null,
  refresh_hard_expires_at timestamptz,
  status text not null check (status in ('active', 'needs_reconnect', 'revoked')),
  status_reason text,
  multicurrency boolean not null default false,
  last_cdc_at timestamptz,
  updated_at timestamptz not null default now()
);
create index qbo_connections_realm on qbo_connections (realm_id);

create table qbo_oauth_nonces (
  nonce text primary key,
  expires_at timestamptz not null,
  used_at timestamptz not null default now()
);

create table qbo_sync (
  tenant_id bigint not null references tenants (id),
  realm_id text not null,
  request_id text not null check (length(request_id) <= 50),
  doc_number text not null check (length(doc_number) <= 21),
  period text not null,
  txn_date date not null,
  currency text not null,
  lines_hash text not null,
  source_entry_ids text[] not null default '{}',
  state text not null check (state in ('pending', 'posted', 'failed')),
  qbo_id text,
  sync_token text,
  posted_lines_hash text,
  reason text,
  code text,
  attempts integer not null default 0,
  updated_at timestamptz not null default now(),
  primary key (realm_id, request_id)
);
create index qbo_sync_tenant on qbo_sync (tenant_id, state);
create index qbo_sync_entries on qbo_sync using gin (source_entry_ids);

create table qbo_customers (
  tenant_id bigint not null references tenants (id),
  stripe_customer text not null,
  qbo_customer_id text not null,
  primary key (tenant_id, stripe_customer)
);
`,
    )
    .execute(db);
}
