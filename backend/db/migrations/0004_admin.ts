/**
 * 0004 — support staff: hashed Admin API keys (revocable, never stored in the clear) and the
 * append-only audit log of every Admin API call, refused ones included.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
create table admin_keys (
  id bigserial primary key,
  name text not null check (length(name) between 1 and 100),
  role text not null check (role in ('viewer', 'operator')),
  prefix text not null unique check (prefix ~ '^aak_[A-Za-z0-9]{8}$'),
  key_hash text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
  created_by text not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  last_used_at timestamptz
);

create table admin_audit (
  id bigserial primary key,
  at timestamptz not null default now(),
  request_id text,
  method text not null,
  path text not null,
  route text,
  key_id bigint references admin_keys (id),
  key_prefix text,
  key_name text,
  role text,
  tenant_id bigint,
  params jsonb not null default '{}',
  status integer not null,
  outcome text not null,
  detail text,
  duration_ms integer not null check (duration_ms >= 0)
);
create index admin_audit_at on admin_audit (at);
create index admin_audit_key on admin_audit (key_id, id);
create index admin_audit_tenant on admin_audit (tenant_id, id) where tenant_id is not null;

-- The audit log is evidence: rows are never changed or removed (same rule as the journal).
create trigger admin_audit_append_only before update or delete on admin_audit
  for each row execute function accrue_refuse_change();
create trigger admin_audit_no_truncate before truncate on admin_audit
  for each statement execute function accrue_refuse_change();
`,
    )
    .execute(db);
}
