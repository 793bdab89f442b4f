/**
 * 0001 — tenants, accounts, periods and the append-only double-entry journal.
 *
 * The database, not only the code, enforces the ledger's rules:
 * - journal entries and lines can never be updated, deleted or truncated;
 * - every entry balances per currency and has at least two lines, checked at commit
 *   (a deferred constraint trigger), so a crash half-way leaves nothing behind;
 * - lines can only be added in the transaction that created their entry;
 * - nothing is inserted into a closed period;
 * - an entry is reversed at most once (unique reverses_entry_id);
 * - lines, entries and accounts of one tenant can never point at another tenant's rows.
 */
import { sql, type Kysely } from 'kysely';
import { ACCOUNT_ROLES } from '../../../shared/accounts.ts';

const roles = ACCOUNT_ROLES.map((r) => `'${r}'`).join(', ');

/** Tenants with their settings history, accounts, and periods with their audit trail. */
const TENANTS_ACCOUNTS_PERIODS = `
create table tenants (
  id bigserial primary key,
  stripe_account_id text not null check (stripe_account_id ~ '^acct_[A-Za-z0-9]+$'),
  livemode boolean not null,
  status text not null default 'active' check (status in ('active', 'disabled')),
  settings jsonb not null,
  settings_version integer not null default 1 check (settings_version > 0),
  created_at timestamptz not null default now(),
  disabled_at timestamptz,
  unique (stripe_account_id, livemode)
);

create table tenant_settings_history (
  tenant_id bigint not null references tenants (id),
  version integer not null,
  settings jsonb not null,
  changed_by text not null,
  changed_at timestamptz not null default now(),
  primary key (tenant_id, version)
);

create table accounts (
  id bigserial primary key,
  tenant_id bigint not null references tenants (id),
  role text not null check (role in (${roles})),
  name text not null check (length(name) between 1 and 100),
  external_id text,
  external_type text,
  created_at timestamptz not null default now(),
  unique (tenant_id, role, name),
  unique (tenant_id, id)
);

create table periods (
  tenant_id bigint not null references tenants (id),
  key text not null,
  start_date date not null,
  end_date date not null,
  status text not null default 'open' check (status in ('open', 'closed')),
  closed_at timestamptz,
  closed_by text,
  primary key (tenant_id, key),
  unique (tenant_id, start_date),
  check (end_date > start_date)
);

create table period_audit (
  id bigserial primary key,
  tenant_id bigint not null references tenants (id),
  period_key text not null,
  action text not null check (action in ('close', 'reopen')),
  actor text not null,
  reason text,
  at timestamptz not null default now()
);
`;

/** The journal: entries and their lines, with the indexes reads go through. */
const JOURNAL = `
create table journal_entries (
  id bigserial primary key,
  tenant_id bigint not null references tenants (id),
  idempotency_key text not null check (length(idempotency_key) between 1 and 300),
  body_hash text not null,
  kind text not null,
  posting_date date not null,
  period_key text not null,
  original_date date,
  correction boolean not null default false,
  cause text,
  memo text not null default '',
  sources text[] not null default '{}',
  reverses_entry_id bigint unique,
  created_txid bigint not null default txid_current(),
  created_at timestamptz not null default now(),
  unique (tenant_id, idempotency_key),
  unique (tenant_id, id),
  foreign key (tenant_id, period_key) references periods (tenant_id, key),
  foreign key (tenant_id, reverses_entry_id) references journal_entries (tenant_id, id),
  check (correction = (original_date is not null))
);
create index journal_entries_period on journal_entries (tenant_id, period_key);
create index journal_entries_sources on journal_entries using gin (sources);

create table journal_lines (
  entry_id bigint not null,
  line_no integer not null check (line_no >= 1),
  tenant_id bigint not null,
  account_id bigint not null,
  amount_minor bigint not null check (amount_minor <> 0),
  currency text not null check (currency ~ '^[a-z]{3}$'),
  original_currency text check (original_currency ~ '^[a-z]{3}$'),
  original_amount_minor bigint,
  fx_rate numeric,
  memo text,
  customer text,
  invoice text,
  invoice_line text,
  product text,
  booked_on date,
  primary key (entry_id, line_no),
  foreign key (tenant_id, entry_id) references journal_entries (tenant_id, id),
  foreign key (tenant_id, account_id) references accounts (tenant_id, id),
  check ((original_currency is null) = (original_amount_minor is null))
);
create index journal_lines_tenant_account on journal_lines (tenant_id, account_id);
create index journal_lines_invoice on journal_lines (tenant_id, invoice) where invoice is not null;
create index journal_lines_customer on journal_lines (tenant_id, customer) where customer is not null;
`;

/** Append-only: UPDATE, DELETE and TRUNCATE of entries and lines are refused. */
const APPEND_ONLY = `
-- Append-only: posted rows are never changed or removed.
create function accrue_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception 'the journal is append-only: % on % is refused', tg_op, tg_table_name
    using errcode = 'AC001', hint = 'post a reversing entry instead';
end $$;
create trigger journal_entries_append_only before update or delete on journal_entries
  for each row execute function accrue_refuse_change();
create trigger journal_lines_append_only before update or delete on journal_lines
  for each row execute function accrue_refuse_change();
create trigger journal_entries_no_truncate before truncate on journal_entries
  for each statement execute function accrue_refuse_change();
create trigger journal_lines_no_truncate before truncate on journal_lines
  for each statement execute function accrue_refuse_change();
`;

/** Lines are only added in the transaction that created their entry (replaced by 0006, then 0008). */
const LINES_IN_THEIR_TRANSACTION = `
-- Lines belong to the transaction that created their entry.
create function accrue_lines_same_transaction() returns trigger language plpgsql as $$
declare created bigint;
begin
  select created_txid into created from journal_entries where id = new.entry_id;
  if created is distinct from txid_current() then
    raise exception 'entry % is already posted; lines cannot be added to it', new.entry_id using errcode = 'AC003';
  end if;
  return new;
end $$;
create trigger journal_lines_same_transaction before insert on journal_lines
  for each row execute function accrue_lines_same_transaction();
`;

/** Nothing is inserted into a closed period. */
const NO_CLOSED_PERIOD = `
-- Nothing is written into a closed period.
create function accrue_refuse_closed_period() returns trigger language plpgsql as $$
begin
  if exists (select 1 from periods p where p.tenant_id = new.tenant_id and p.key = new.period_key and p.status = 'closed') then
    raise exception 'period % is closed', new.period_key using errcode = 'AC004';
  end if;
  return new;
end $$;
create trigger journal_entries_open_period before insert on journal_entries
  for each row execute function accrue_refuse_closed_period();
`;

/** Every entry balances per currency and has at least two lines, checked at commit (replaced by 0008). */
const BALANCED_ENTRIES = `
-- Every entry balances per currency and has at least two lines, checked at commit.
create function accrue_check_entry_balanced() returns trigger language plpgsql as $$
declare n integer; bad text;
begin
  select count(*) into n from journal_lines where entry_id = new.id;
  if n < 2 then
    raise exception 'entry % has % line(s); an entry needs at least two', new.idempotency_key, n using errcode = 'AC002';
  end if;
  select string_agg(currency || ' ' || total::text, ', ') into bad from (
    select currency, sum(amount_minor) as total from journal_lines where entry_id = new.id group by currency having sum(amount_minor) <> 0
  ) u;
  if bad is not null then
    raise exception 'entry % does not balance: %', new.idempotency_key, bad using errcode = 'AC002';
  end if;
  return null;
end $$;
create constraint trigger journal_entries_balanced after insert on journal_entries
  deferrable initially deferred for each row execute function accrue_check_entry_balanced();
`;

/** A reversal mirrors the entry it reverses, line for line, checked at commit. */
const REVERSALS_MIRROR = `
-- A reversal must mirror the entry it reverses, line for line.
create function accrue_check_reversal() returns trigger language plpgsql as $$
begin
  if new.reverses_entry_id is null then return null; end if;
  if exists (
    (select account_id, currency, -amount_minor from journal_lines where entry_id = new.reverses_entry_id)
    except all
    (select account_id, currency, amount_minor from journal_lines where entry_id = new.id)
  ) or exists (
    (select account_id, currency, amount_minor from journal_lines where entry_id = new.id)
    except all
    (select account_id, currency, -amount_minor from journal_lines where entry_id = new.reverses_entry_id)
  ) then
    raise exception 'entry % does not mirror the entry it reverses', new.idempotency_key using errcode = 'AC005';
  end if;
  return null;
end $$;
create constraint trigger journal_entries_reversal_mirrors after insert on journal_entries
  deferrable initially deferred for each row execute function accrue_check_reversal();
`;

/** The steps in the order they run: together, byte for byte, the one script this migration first ran as. */
const STEPS = [
  TENANTS_ACCOUNTS_PERIODS,
  JOURNAL,
  APPEND_ONLY,
  LINES_IN_THEIR_TRANSACTION,
  NO_CLOSED_PERIOD,
  BALANCED_ENTRIES,
  REVERSALS_MIRROR,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const step of STEPS) await sql.raw(step).execute(db);
}
