/**
 * 0011 — keys a database sharded by tenant can enforce. In a distributed PostgreSQL (Citus) a
 * primary key or unique constraint of a table sharded by `tenant_id` must contain `tenant_id`,
 * because each shard checks it alone; so every tenant table's keys now start with the tenant:
 * accounts, journal entries (and the at-most-once reversal), journal lines, exceptions, period
 * audit rows, the QuickBooks sync record and the Stripe inbox. A plain index on `id` keeps
 * lookups by id alone fast on one node.
 *
 * The inbox's arrival order (`stripe_events.seq`) was a table-wide sequence; it is now numbered
 * per tenant from `inbox_counters`, reserved by the transaction that stores the events, so the
 * order within a tenant never depends on which node handed out a sequence value (an insert that
 * names no number gets one from a trigger; Accrue's own inserts always name theirs). The trigger
 * functions look entries, lines and accounts up by tenant and id, so each lookup stays on the
 * tenant's shard.
 */
import { sql, type Kysely } from 'kysely';

/** Keys that start with the tenant, and the inbox's per-tenant arrival numbers. */
const TENANT_KEYS = `
alter table journal_entries drop constraint journal_entries_tenant_id_reverses_entry_id_fkey;
alter table journal_entries drop constraint journal_entries_reverses_entry_id_key;
alter table journal_entries drop constraint journal_entries_tenant_id_id_key;
alter table journal_entries drop constraint journal_entries_pkey;
alter table journal_entries add constraint journal_entries_pkey primary key (tenant_id, id);
alter table journal_entries add constraint journal_entries_tenant_id_reverses_entry_id_key unique (tenant_id, reverses_entry_id);
alter table journal_entries add constraint journal_entries_tenant_id_reverses_entry_id_fkey
  foreign key (tenant_id, reverses_entry_id) references journal_entries (tenant_id, id);
create index journal_entries_id on journal_entries (id);

alter table accounts drop constraint accounts_tenant_id_id_key;
alter table accounts drop constraint accounts_pkey;
alter table accounts add constraint accounts_pkey primary key (tenant_id, id);
create index accounts_id on accounts (id);

alter table journal_lines drop constraint journal_lines_pkey;
alter table journal_lines add constraint journal_lines_pkey primary key (tenant_id, entry_id, line_no);

alter table exceptions drop constraint exceptions_pkey;
alter table exceptions add constraint exceptions_pkey primary key (tenant_id, id);
create index exceptions_id on exceptions (id);

alter table period_audit drop constraint period_audit_pkey;
alter table period_audit add constraint period_audit_pkey primary key (tenant_id, id);

alter table qbo_sync drop constraint qbo_sync_pkey;
alter table qbo_sync add constraint qbo_sync_pkey primary key (tenant_id, realm_id, request_id);
create index qbo_sync_request on qbo_sync (realm_id, request_id);

create table inbox_counters (
  tenant_id bigint primary key references tenants (id),
  last_seq bigint not null
);
insert into inbox_counters (tenant_id, last_seq)
  select tenant_id, max(seq) from stripe_events group by tenant_id;
alter table stripe_events drop constraint stripe_events_pkey;
alter table stripe_events drop constraint stripe_events_seq_key;
alter table stripe_events alter column seq drop default;
drop sequence stripe_events_seq_seq;
alter table stripe_events add constraint stripe_events_pkey primary key (tenant_id, id);
alter table stripe_events add constraint stripe_events_tenant_id_seq_key unique (tenant_id, seq);
create index stripe_events_id on stripe_events (id);

-- Accrue's inbox reserves numbers itself; an insert that gives none (a script, a test) gets the next one here.
create function accrue_inbox_arrival() returns trigger language plpgsql as $$
begin
  if new.seq is null then
    insert into inbox_counters (tenant_id, last_seq) values (new.tenant_id, 1)
      on conflict (tenant_id) do update set last_seq = inbox_counters.last_seq + 1
      returning last_seq into new.seq;
  end if;
  return new;
end $$;
create trigger stripe_events_arrival before insert on stripe_events for each row execute function accrue_inbox_arrival();

`;

/** The ledger's trigger functions, looking rows up by tenant and id. */
const TENANT_LOOKUPS = `
create or replace function accrue_check_entry_balanced() returns trigger language plpgsql as $$
declare n bigint; bad text;
begin
  select coalesce(sum(lines), 0),
         string_agg(case when total <> 0 then currency || ' ' || total::text end, ', ')
    into n, bad
    from (select currency, count(*) as lines, sum(amount_minor) as total
            from journal_lines where tenant_id = new.tenant_id and entry_id = new.id group by currency) u;
  if n < 2 then
    raise exception 'entry % has % line(s); an entry needs at least two', new.idempotency_key, n using errcode = 'AC002';
  end if;
  if bad is not null then
    raise exception 'entry % does not balance: %', new.idempotency_key, bad using errcode = 'AC002';
  end if;
  return null;
end $$;

create or replace function accrue_check_reversal() returns trigger language plpgsql as $$
begin
  if new.reverses_entry_id is null then return null; end if;
  if exists (
    (select account_id, currency, -amount_minor from journal_lines
      where tenant_id = new.tenant_id and entry_id = new.reverses_entry_id)
    except all
    (select account_id, currency, amount_minor from journal_lines where tenant_id = new.tenant_id and entry_id = new.id)
  ) or exists (
    (select account_id, currency, amount_minor from journal_lines where tenant_id = new.tenant_id and entry_id = new.id)
    except all
    (select account_id, currency, -amount_minor from journal_lines
      where tenant_id = new.tenant_id and entry_id = new.reverses_entry_id)
  ) then
    raise exception 'entry % does not mirror the entry it reverses', new.idempotency_key using errcode = 'AC005';
  end if;
  return null;
end $$;

create or replace function accrue_lines_same_transaction() returns trigger language plpgsql
  set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
declare bad record;
begin
  select n.entry_id, n.account_id, n.tenant_id,
         e.id is null as no_entry, a.id is null as no_account
    into bad
    from new_lines n
    left join journal_entries e on e.tenant_id = n.tenant_id and e.id = n.entry_id
    left join accounts a on a.tenant_id = n.tenant_id and a.id = n.account_id
   where e.id is null or e.created_txid is distinct from txid_current() or a.id is null
   limit 1;
  if not found then
    return null;
  elsif bad.no_entry then
    raise exception 'journal line of tenant % names entry %, which is not an entry of that tenant', bad.tenant_id, bad.entry_id using errcode = '23503';
  elsif bad.no_account then
    raise exception 'journal line of tenant % names account %, which is not an account of that tenant', bad.tenant_id, bad.account_id using errcode = '23503';
  else
    raise exception 'entry % is already posted; lines cannot be added to it', bad.entry_id using errcode = 'AC003';
  end if;
end $$;
`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(TENANT_KEYS).execute(db);
  await sql.raw(TENANT_LOOKUPS).execute(db);
}
