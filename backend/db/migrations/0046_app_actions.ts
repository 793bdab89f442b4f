/**
 * 0046 — the finance cockpit's actions in the Stripe App: an audit trail of every action taken on
 * the books from the App (`app_audit`: retrying, mapping, excluding, reviewing and resolving an
 * exception; closing and reopening a period), written in the same transaction as the action, so
 * an action without its audit row cannot commit; and what became of an exception:
 * `resolution` ('resolved' with a note, or 'excluded' with a reason — an excluded object stays
 * out of the books and a later failure of it does not reopen the exception) and who marked it
 * reviewed (`reviewed_at`/`reviewed_by`: seen and understood, still open).
 */
import { sql, type Kysely } from 'kysely';

const APP_ACTIONS = `
create table app_audit (
  id bigserial,
  tenant_id bigint not null references tenants(id),
  at timestamptz not null default now(),
  actor text not null,
  action text not null check (action in (
    'exception_retry', 'exception_map_account', 'exception_exclude', 'exception_review',
    'exception_resolve', 'period_close', 'period_reopen')),
  target text not null,
  reason text,
  details jsonb not null default '{}'::jsonb,
  constraint app_audit_pkey primary key (tenant_id, id)
);
create index app_audit_tenant_at on app_audit (tenant_id, at);
create trigger app_audit_append_only before update or delete on app_audit
  for each row execute function accrue_refuse_change();
create trigger app_audit_no_truncate before truncate on app_audit
  for each statement execute function accrue_refuse_change();

alter table exceptions add column resolution text
  check (resolution is null or resolution in ('resolved', 'excluded'));
alter table exceptions add column reviewed_at timestamptz;
alter table exceptions add column reviewed_by text;
`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(APP_ACTIONS).execute(db);
}
