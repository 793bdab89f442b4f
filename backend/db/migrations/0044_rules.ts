/**
 * 0044 — the rule list (docs/accounting.md, "Rules"): one row per rule with its conditions, its
 * position (unique per tenant: the first matching rule wins, so two rules in one place would have
 * no order), a treatment or a percentage split, and effective dates; and `rule_changes`, one row
 * per saved change, whose id the corrections a change posts carry as their cause
 * (`rule-change:<id>`). Product rules stay in the settings and are read as one-condition rules.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
create table recognition_rules (
  tenant_id bigint not null references tenants(id),
  rule_id text not null check (rule_id ~ '^[A-Za-z0-9_.-]{1,200}$'),
  position integer not null check (position >= 1),
  name text,
  conditions jsonb not null default '{}'::jsonb,
  treatment jsonb,
  split jsonb,
  effective_from date,
  effective_to date,
  primary key (tenant_id, rule_id),
  unique (tenant_id, position) deferrable initially deferred,
  check ((treatment is null) <> (split is null)),
  check (effective_to is null or effective_from is null or effective_from <= effective_to)
);
create table rule_changes (
  tenant_id bigint not null references tenants(id),
  id bigserial,
  actor text not null,
  reason text,
  rules_before jsonb not null,
  rules_after jsonb not null,
  entries_posted integer not null default 0,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
`,
    )
    .execute(db);
}
