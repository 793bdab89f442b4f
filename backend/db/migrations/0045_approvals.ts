/**
 * 0045 — the approval queue (docs/accounting.md, "Approvals"): a change above the tenant's
 * materiality threshold (a manual journal or a rule change moving more than it in a period, a
 * period reopen) is stored as a request of some `kind` with its payload, and applied only when a
 * second user approves it. `approval_events` is its audit trail: who requested, approved,
 * rejected, or saw the change fail to apply, when, and why. The database itself refuses a request
 * decided by its own requester. Admin keys gain the `approver` role. Numbered apart from the
 * migrations other work adds at the same time; the order among them does not matter.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
create table approval_requests (
  id bigserial,
  tenant_id bigint not null references tenants(id),
  kind text not null check (kind ~ '^[a-z][a-z_]{0,39}$'),
  request_key text not null,
  payload jsonb not null,
  summary text not null check (length(summary) between 1 and 500),
  reason text not null check (length(btrim(reason)) between 1 and 1000),
  movement_minor bigint,
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
  requested_by text not null check (length(requested_by) between 1 and 200),
  requested_at timestamptz not null default now(),
  decided_by text,
  decided_at timestamptz,
  decision_note text,
  result jsonb,
  primary key (tenant_id, id),
  constraint approval_requests_not_own check (decided_by is null or decided_by <> requested_by),
  constraint approval_requests_decided check ((status = 'pending') = (decided_by is null))
);
create unique index approval_requests_pending_key on approval_requests (tenant_id, request_key) where status = 'pending';
create index approval_requests_by_status on approval_requests (tenant_id, status, requested_at);
create table approval_events (
  id bigserial,
  tenant_id bigint not null,
  approval_id bigint not null,
  action text not null check (action in ('requested', 'approved', 'rejected', 'apply_failed')),
  actor text not null,
  note text,
  at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, approval_id) references approval_requests (tenant_id, id)
);
alter table admin_keys drop constraint admin_keys_role_check;
alter table admin_keys add constraint admin_keys_role_check check (role in ('viewer', 'operator', 'approver'));
`,
    )
    .execute(db);
}
