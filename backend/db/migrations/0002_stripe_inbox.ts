/**
 * 0002 — the Stripe side: the durable webhook inbox, the normalized facts the engine reads,
 * the exception queue, the release watermark and resumable backfill progress.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
create table stripe_events (
  id text primary key,
  seq bigserial not null unique,
  tenant_id bigint not null references tenants (id),
  type text not null,
  created bigint not null,
  object_id text,
  payload jsonb not null,
  source text not null default 'webhook' check (source in ('webhook', 'backfill', 'replay')),
  status text not null default 'pending' check (status in ('pending', 'processed', 'ignored', 'failed')),
  attempts integer not null default 0,
  last_error text,
  received_at timestamptz not null default now(),
  processed_at timestamptz
);
create index stripe_events_pending on stripe_events (tenant_id, created, seq) where status = 'pending';
create index stripe_events_tenant on stripe_events (tenant_id, status, type);

create table stripe_facts (
  tenant_id bigint not null references tenants (id),
  fact_key text not null,
  aggregate text not null,
  fact jsonb not null,
  event_id text,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, fact_key)
);
create index stripe_facts_aggregate on stripe_facts (tenant_id, aggregate);

create table exceptions (
  id bigserial primary key,
  tenant_id bigint not null references tenants (id),
  kind text not null check (kind in ('stripe_event', 'mapping', 'engine', 'qbo_post', 'reconcile', 'recognition_changed')),
  object_id text not null,
  reason text not null,
  details jsonb not null default '{}',
  status text not null default 'open' check (status in ('open', 'resolved')),
  retries integer not null default 0,
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  resolved_by text,
  note text,
  unique (tenant_id, kind, object_id)
);
create index exceptions_open on exceptions (tenant_id, status, created_at);

create table release_state (
  tenant_id bigint primary key references tenants (id),
  released_through date not null,
  updated_at timestamptz not null default now()
);

create table backfill_progress (
  tenant_id bigint not null references tenants (id),
  resource text not null,
  cursor text,
  items integer not null default 0,
  done boolean not null default false,
  since bigint,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, resource)
);
`,
    )
    .execute(db);
}
