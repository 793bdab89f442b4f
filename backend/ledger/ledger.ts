/**
 * Posting to the journal. Checks every entry before it reaches the database (which checks the
 * same rules again: see migration 0001), places it in an open period, and makes posting
 * idempotent: the same key with the same body returns the existing entry; the same key with a
 * different body is a `conflict`.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { isAccountRole, ROLE_INFO, type AccountRole } from '../../shared/accounts.ts';
import { AccrueError } from '../../shared/errors.ts';
import type { EntryDraft, LineDraft, LocalDate } from '../../shared/journal.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { normalizeCurrency, minor } from '../../shared/money.ts';
import type { Db, Tx } from '../db/database.ts';
import { placeEntries, placeEntry, type PostingPlace } from './periods.ts';
import type { Tenant } from './tenants.ts';

/** Postgres caps a statement at 65,535 parameters; 16 columns × 2,000 rows stays well under. */
const LINE_INSERT_CHUNK = 2_000;
/** An entry with more lines than this is a bug upstream, not a journal entry. */

/** A journal line's amounts and drill-down dimensions, as every read-back of lines selects them. */
export const LINE_AMOUNT_AND_DIMENSION_COLUMNS = [
  'l.currency',
  'l.amount_minor',
  'l.original_currency',
  'l.original_amount_minor',
  'l.fx_rate',
  'l.customer',
  'l.invoice',
  'l.invoice_line',
  'l.product',
  'l.booked_on',
] as const;

export const ENTRY_LINES_MAX = 20_000;

export interface PostedEntry {
  id: bigint;
  key: string;
  periodKey: string;
  postingDate: LocalDate;
  correction: boolean;
  /** False when the entry already existed with the same body. */
  created: boolean;
}

export interface PostOptions {
  /** Create an account row for a (role, name) pair that does not exist yet. Off for manual entries. */
  createAccounts?: boolean;
  /** What caused the entry (an event id), recorded on corrections. */
  cause?: string;
  /** Set when the entry reverses another one. */
  reverses?: bigint;
  /**
   * Lookups reused across the entries of one transaction (account ids, where a date posts).
   * Only for entries posted in the same transaction: the period placement holds a share lock
   * that lasts exactly as long as the transaction.
   */
  cache?: PostCache;
}

/** Per-transaction memo of account ids and period placements. */
export interface PostCache {
  accounts: Map<string, bigint>;
  places: Map<string, PostingPlace>;
}

export function newPostCache(): PostCache {
  return { accounts: new Map(), places: new Map() };
}

function canonicalLine(l: LineDraft) {
  return [
    l.role,
    l.account ?? null,
    l.amountMinor.toString(),
    l.currency,
    l.original ? [l.original.currency, l.original.amountMinor.toString(), l.original.rate] : null,
    l.memo ?? null,
    l.customer ?? null,
    l.invoice ?? null,
    l.invoiceLine ?? null,
    l.product ?? null,
    l.bookedOn ?? null,
  ];
}

/** A hash of everything that makes an entry what it is (not where the ledger placed it). */
export function bodyHash(d: EntryDraft): string {
  const body = JSON.stringify([d.kind, d.postingDate, d.memo, d.sources, d.lines.map(canonicalLine)]);
  return createHash('sha256').update(body).digest('hex');
}

/** Checks an entry's shape and balance; throws a stable error code naming what is wrong. */
export function validateDraft(d: EntryDraft): void {
  if (!d.key || d.key.length > 300)
    throw new AccrueError('invalid_input', 'an entry needs an idempotency key of 1 to 300 characters');
  if (d.lines.length < 2) throw new AccrueError('unbalanced_entry', `entry ${d.key} needs at least two lines`);
  if (d.lines.length > ENTRY_LINES_MAX)
    throw new AccrueError('invalid_input', `entry ${d.key} has ${d.lines.length} lines (limit ${ENTRY_LINES_MAX})`);
  const sums = new Map<string, bigint>();
  d.lines.forEach((l, i) => {
    if (typeof l.amountMinor !== 'bigint')
      throw new AccrueError('invalid_input', `entry ${d.key} line ${i + 1}: amount must be integer minor units`);
    if (l.amountMinor === 0n) throw new AccrueError('invalid_input', `entry ${d.key} line ${i + 1}: amount is zero`);
    if (!isAccountRole(l.role))
      throw new AccrueError(
        'unknown_account',
        `entry ${d.key} line ${i + 1}: "${String(l.role)}" is not an account role`,
      );
    const c = normalizeCurrency(l.currency);
    if (l.original) {
      normalizeCurrency(l.original.currency);
      if (typeof l.original.amountMinor !== 'bigint')
        throw new AccrueError(
          'invalid_input',
          `entry ${d.key} line ${i + 1}: original amount must be integer minor units`,
        );
      if (!/^\d+(\.\d+)?$/.test(l.original.rate))
        throw new AccrueError(
          'invalid_input',
          `entry ${d.key} line ${i + 1}: rate "${l.original.rate}" is not a positive decimal`,
        );
      if (l.original.currency.toLowerCase() === c)
        throw new AccrueError(
          'invalid_input',
          `entry ${d.key} line ${i + 1}: original currency equals the line currency; one line holds one currency`,
        );
    }
    sums.set(c, (sums.get(c) ?? 0n) + l.amountMinor);
  });
  const bad = [...sums].filter(([, s]) => s !== 0n);
  if (bad.length) {
    throw new AccrueError(
      'unbalanced_entry',
      `entry ${d.key} does not balance: ${bad.map(([c, s]) => `${c.toUpperCase()} off by ${s} minor units`).join(', ')}`,
    );
  }
}

/** Account ids by `role\u0000name`, creating missing ones when allowed. */
async function resolveAccounts(
  tx: Tx,
  tenant: Tenant,
  lines: LineDraft[],
  create: boolean,
  cache?: PostCache,
): Promise<Map<string, bigint>> {
  const names = tenant.settings.account_names as Partial<Record<AccountRole, string>>;
  const wanted = new Map<string, { role: AccountRole; name: string }>();
  const found = new Map<string, bigint>();
  for (const l of lines) {
    const name = l.account ?? names[l.role] ?? ROLE_INFO[l.role].defaultName;
    const k = `${l.role}\u0000${name}`;
    const known = cache?.accounts.get(k);
    if (known !== undefined) found.set(k, known);
    else wanted.set(k, { role: l.role, name });
  }
  if (wanted.size === 0) return found;
  const load = async () => {
    const rows = await tx
      .selectFrom('accounts')
      .select(['id', 'role', 'name'])
      .where('tenant_id', '=', tenant.id)
      .where((eb) => eb.or([...wanted.values()].map((w) => eb.and([eb('role', '=', w.role), eb('name', '=', w.name)]))))
      .execute();
    for (const r of rows) {
      found.set(`${r.role}\u0000${r.name}`, r.id);
      cache?.accounts.set(`${r.role}\u0000${r.name}`, r.id);
    }
  };
  await load();
  const missing = [...wanted].filter(([k]) => !found.has(k));
  if (missing.length) {
    if (!create) {
      const [, m] = missing[0]!;
      throw new AccrueError(
        'unknown_account',
        `no account "${m.name}" with role ${m.role}; create it or map the role first`,
      );
    }
    await tx
      .insertInto('accounts')
      .values(
        missing.map(([, m]) => ({
          tenant_id: tenant.id,
          role: m.role,
          name: m.name,
          external_id: null,
          external_type: null,
        })),
      )
      .onConflict((oc) => oc.columns(['tenant_id', 'role', 'name']).doNothing())
      .execute();
    await load();
  }
  return found;
}

function accountKey(tenant: Tenant, l: LineDraft): string {
  const names = tenant.settings.account_names as Partial<Record<AccountRole, string>>;
  return `${l.role}\u0000${l.account ?? names[l.role] ?? ROLE_INFO[l.role].defaultName}`;
}

/**
 * Posts one entry inside the caller's transaction. Idempotent by `draft.key`.
 * The caller's transaction is where the work the entry causes (an outbox row, a job) is
 * written too, so they commit or vanish together.
 */
export async function postEntry(
  tx: Tx,
  tenant: Tenant,
  draft: EntryDraft,
  opts: PostOptions = {},
): Promise<PostedEntry> {
  validateDraft(draft);
  const hash = bodyHash(draft);
  const existing = await tx
    .selectFrom('journal_entries')
    .select(['id', 'body_hash', 'period_key', 'posting_date', 'correction'])
    .where('tenant_id', '=', tenant.id)
    .where('idempotency_key', '=', draft.key)
    .executeTakeFirst();
  if (existing) return sameOrConflict(existing, draft, hash);

  let place = opts.cache?.places.get(draft.postingDate);
  if (!place) {
    place = await placeEntry(tx, tenant, draft.postingDate);
    opts.cache?.places.set(draft.postingDate, place);
  }
  const accounts = await resolveAccounts(tx, tenant, draft.lines, opts.createAccounts ?? true, opts.cache);
  const inserted = await tx
    .insertInto('journal_entries')
    .values(entryRow(tenant, draft, hash, place, opts))
    .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
    .returning(['id'])
    .executeTakeFirst();
  if (!inserted) {
    // A concurrent transaction posted the same key first; compare with what it wrote.
    const raced = await tx
      .selectFrom('journal_entries')
      .select(['id', 'body_hash', 'period_key', 'posting_date', 'correction'])
      .where('tenant_id', '=', tenant.id)
      .where('idempotency_key', '=', draft.key)
      .executeTakeFirstOrThrow();
    return sameOrConflict(raced, draft, hash);
  }
  const rows = draft.lines.map((l, i) => lineRow(tenant, inserted.id, i, l, accounts));
  for (let i = 0; i < rows.length; i += LINE_INSERT_CHUNK) {
    await tx
      .insertInto('journal_lines')
      .values(rows.slice(i, i + LINE_INSERT_CHUNK))
      .execute();
  }
  return {
    id: inserted.id,
    key: draft.key,
    periodKey: place.periodKey,
    postingDate: place.postingDate,
    correction: place.originalDate !== null,
    created: true,
  };
}

/** Entries inserted per statement by `postNewEntries` (16 columns each, far below the parameter cap). */
const ENTRY_INSERT_CHUNK = 500;

/** The journal_entries row of a draft placed in a period; a correction names its cause. */
function entryRow(
  tenant: Tenant,
  draft: EntryDraft,
  hash: string,
  place: PostingPlace,
  opts: Pick<PostOptions, 'cause' | 'reverses'>,
) {
  return {
    tenant_id: tenant.id,
    idempotency_key: draft.key,
    body_hash: hash,
    kind: draft.kind,
    posting_date: place.postingDate,
    period_key: place.periodKey,
    original_date: place.originalDate,
    correction: place.originalDate !== null,
    cause: place.originalDate !== null ? (opts.cause ?? draft.sources[0] ?? null) : (opts.cause ?? null),
    memo: draft.memo,
    sources: draft.sources,
    reverses_entry_id: opts.reverses ?? null,
  };
}

function lineRow(tenant: Tenant, entryId: bigint, i: number, l: LineDraft, accounts: Map<string, bigint>) {
  return {
    entry_id: entryId,
    line_no: i + 1,
    tenant_id: tenant.id,
    account_id: accounts.get(accountKey(tenant, l))!,
    amount_minor: l.amountMinor,
    currency: normalizeCurrency(l.currency),
    original_currency: l.original ? normalizeCurrency(l.original.currency) : null,
    original_amount_minor: l.original?.amountMinor ?? null,
    fx_rate: l.original?.rate ?? null,
    memo: l.memo ?? null,
    customer: l.customer ?? null,
    invoice: l.invoice ?? null,
    invoice_line: l.invoiceLine ?? null,
    product: l.product ?? null,
    booked_on: l.bookedOn ?? null,
  };
}

/**
 * Posts many entries in the caller's transaction with a few statements instead of a few per
 * entry: one lookup of the keys, one insert per chunk of entries and of lines. Entries already
 * posted with the same body are skipped; those posted with a different body are returned as
 * `conflicts` for the caller to handle (nothing is written for them). Same rules as postEntry.
 */
export async function postNewEntries(
  tx: Tx,
  tenant: Tenant,
  drafts: readonly EntryDraft[],
  opts: PostOptions = {},
): Promise<{ created: number; conflicts: EntryDraft[] }> {
  const conflicts: EntryDraft[] = [];
  const fresh = new Map<string, { draft: EntryDraft; hash: string }>();
  for (const d of drafts) {
    validateDraft(d);
    const hash = bodyHash(d);
    const seen = fresh.get(d.key);
    if (seen) {
      if (seen.hash !== hash) conflicts.push(d);
      continue;
    }
    fresh.set(d.key, { draft: d, hash });
  }
  const keys = [...fresh.keys()];
  for (let i = 0; i < keys.length; i += ENTRY_INSERT_CHUNK) {
    const rows = await tx
      .selectFrom('journal_entries')
      .select(['idempotency_key', 'body_hash'])
      .where('tenant_id', '=', tenant.id)
      .where('idempotency_key', 'in', keys.slice(i, i + ENTRY_INSERT_CHUNK))
      .execute();
    for (const r of rows) {
      const f = fresh.get(r.idempotency_key)!;
      if (f.hash !== r.body_hash) conflicts.push(f.draft);
      fresh.delete(r.idempotency_key);
    }
  }
  const todo = [...fresh.values()];
  if (!todo.length) return { created: 0, conflicts };
  const cache = opts.cache ?? newPostCache();
  const unplaced = todo.map((t) => t.draft.postingDate).filter((d) => !cache.places.has(d));
  for (const [d, place] of await placeEntries(tx, tenant, unplaced)) cache.places.set(d, place);
  const accounts = await resolveAccounts(
    tx,
    tenant,
    todo.flatMap((t) => t.draft.lines),
    opts.createAccounts ?? true,
    cache,
  );
  let created = 0;
  for (let i = 0; i < todo.length; i += ENTRY_INSERT_CHUNK) {
    const chunk = todo.slice(i, i + ENTRY_INSERT_CHUNK);
    const inserted = await tx
      .insertInto('journal_entries')
      .values(
        chunk.map(({ draft, hash }) =>
          entryRow(tenant, draft, hash, cache.places.get(draft.postingDate)!, { cause: opts.cause }),
        ),
      )
      .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
      .returning(['id', 'idempotency_key'])
      .execute();
    const idOf = new Map(inserted.map((r) => [r.idempotency_key, r.id]));
    // A key that another transaction posted meanwhile is handed back to be compared one by one.
    for (const t of chunk) if (!idOf.has(t.draft.key)) conflicts.push(t.draft);
    const lines = chunk
      .filter((t) => idOf.has(t.draft.key))
      .flatMap(({ draft }) => draft.lines.map((l, n) => lineRow(tenant, idOf.get(draft.key)!, n, l, accounts)));
    for (let j = 0; j < lines.length; j += LINE_INSERT_CHUNK)
      await tx
        .insertInto('journal_lines')
        .values(lines.slice(j, j + LINE_INSERT_CHUNK))
        .execute();
    created += inserted.length;
  }
  return { created, conflicts };
}

function sameOrConflict(
  row: { id: bigint; body_hash: string; period_key: string; posting_date: string; correction: boolean },
  draft: EntryDraft,
  hash: string,
): PostedEntry {
  if (row.body_hash !== hash) {
    throw new AccrueError('conflict', `entry ${draft.key} was already posted with a different body`, {
      entryId: row.id.toString(),
    });
  }
  return {
    id: row.id,
    key: draft.key,
    periodKey: row.period_key,
    postingDate: row.posting_date,
    correction: row.correction,
    created: false,
  };
}

/** Posts a batch of entries in one transaction; returns them in order. */
export async function postEntries(
  db: Db,
  tenant: Tenant,
  drafts: EntryDraft[],
  opts: PostOptions = {},
): Promise<PostedEntry[]> {
  return db.transaction().execute(async (tx) => {
    const out: PostedEntry[] = [];
    for (const d of drafts) out.push(await postEntry(tx, tenant, d, opts));
    return out;
  });
}

/**
 * Reverses a posted entry with a mirror entry dated `date` (first open period if closed).
 * An entry can be reversed once; the database refuses a second reversal.
 */
export async function reverseEntry(
  tx: Tx,
  tenant: Tenant,
  entryId: bigint,
  date: LocalDate,
  reason: string,
): Promise<PostedEntry> {
  const entry = await tx
    .selectFrom('journal_entries')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .where('id', '=', entryId)
    .executeTakeFirst();
  if (!entry) throw new AccrueError('not_found', `no entry ${entryId}`);
  if (entry.reverses_entry_id !== null) throw new AccrueError('conflict', `entry ${entryId} is itself a reversal`);
  const already = await tx
    .selectFrom('journal_entries')
    .select(['id'])
    .where('tenant_id', '=', tenant.id)
    .where('reverses_entry_id', '=', entryId)
    .executeTakeFirst();
  if (already) throw new AccrueError('conflict', `entry ${entryId} was already reversed by entry ${already.id}`);
  const lines = await tx
    .selectFrom('journal_lines as l')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .select([
      'l.amount_minor',
      'l.currency',
      'l.original_currency',
      'l.original_amount_minor',
      'l.fx_rate',
      'l.customer',
      'l.invoice',
      'l.invoice_line',
      'l.product',
      'l.booked_on',
      'a.role',
      'a.name',
    ])
    .where('l.entry_id', '=', entryId)
    .orderBy('l.line_no')
    .execute();
  const draft: EntryDraft = {
    key: `reversal:${entry.idempotency_key}`.slice(0, 300),
    kind: 'reversal',
    postingDate: date,
    memo: `Reversal of ${entry.idempotency_key}: ${reason}`,
    sources: entry.sources,
    lines: lines.map((l) => ({
      role: l.role as AccountRole,
      account: l.name,
      amountMinor: minor(-BigInt(l.amount_minor)),
      currency: l.currency,
      original: l.original_currency
        ? {
            currency: l.original_currency,
            amountMinor: minor(-(l.original_amount_minor as bigint)),
            rate: l.fx_rate ?? '1',
          }
        : undefined,
      customer: l.customer ?? undefined,
      invoice: l.invoice ?? undefined,
      invoiceLine: l.invoice_line ?? undefined,
      product: l.product ?? undefined,
      bookedOn: l.booked_on ?? undefined,
    })),
  };
  return postEntry(tx, tenant, draft, { createAccounts: false, reverses: entryId, cause: `entry:${entryId}` });
}

export interface LineFilter {
  fromPeriod?: string;
  throughPeriod?: string;
  invoice?: string;
  customer?: string;
  entryKeyPrefix?: string;
}

/** Loads posted lines joined with entry and account, in posting order: what reports read. */
export async function loadLedgerLines(db: Db | Tx, tenantId: bigint, f: LineFilter = {}): Promise<LedgerLine[]> {
  let q = db
    .selectFrom('journal_lines as l')
    .innerJoin('journal_entries as e', 'e.id', 'l.entry_id')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .innerJoin('periods as p', (j) => j.onRef('p.tenant_id', '=', 'e.tenant_id').onRef('p.key', '=', 'e.period_key'))
    .select([
      'e.id as entry_id',
      'e.idempotency_key',
      'e.kind',
      'e.posting_date',
      'e.period_key',
      'e.correction',
      'e.original_date',
      'e.memo',
      'e.sources',
      'e.reverses_entry_id',
      'l.line_no',
      'a.role',
      'a.name',
      'a.external_id',
      ...LINE_AMOUNT_AND_DIMENSION_COLUMNS,
      'p.start_date',
    ])
    .where('l.tenant_id', '=', tenantId)
    .where('e.tenant_id', '=', tenantId);
  if (f.fromPeriod) q = q.where('e.period_key', '>=', f.fromPeriod);
  if (f.throughPeriod) q = q.where('e.period_key', '<=', f.throughPeriod);
  if (f.invoice) q = q.where('l.invoice', '=', f.invoice);
  if (f.customer) q = q.where('l.customer', '=', f.customer);
  if (f.entryKeyPrefix) q = q.where('e.idempotency_key', 'like', `${f.entryKeyPrefix.replace(/[%_\\]/g, '\\$&')}%`);
  const rows = await q.orderBy('p.start_date').orderBy('e.posting_date').orderBy('e.id').orderBy('l.line_no').execute();
  const bookedPeriods = await bookedPeriodMap(db, tenantId);
  return rows.map((r) => ({
    entryId: r.entry_id.toString(),
    entryKey: r.idempotency_key,
    kind: r.kind as LedgerLine['kind'],
    postingDate: r.posting_date,
    period: r.period_key,
    correction: r.correction,
    originalDate: r.original_date ?? undefined,
    memo: r.memo,
    sources: r.sources,
    lineNo: r.line_no,
    role: r.role as AccountRole,
    account: r.name,
    externalAccountId: r.external_id ?? undefined,
    currency: r.currency,
    amountMinor: minor(BigInt(r.amount_minor)),
    original: r.original_currency
      ? { currency: r.original_currency, amountMinor: minor(BigInt(r.original_amount_minor!)), rate: r.fx_rate ?? '1' }
      : undefined,
    customer: r.customer ?? undefined,
    invoice: r.invoice ?? undefined,
    invoiceLine: r.invoice_line ?? undefined,
    product: r.product ?? undefined,
    bookedOn: r.booked_on ?? undefined,
    bookedPeriod: r.booked_on ? bookedPeriods(r.booked_on) : undefined,
    reversesEntryId: r.reverses_entry_id?.toString(),
  }));
}

/** Maps a booking date to its period key using the tenant's period rows (monthly fallback). */
async function bookedPeriodMap(db: Db | Tx, tenantId: bigint): Promise<(d: LocalDate) => string> {
  const periods = await db
    .selectFrom('periods')
    .select(['key', 'start_date', 'end_date'])
    .where('tenant_id', '=', tenantId)
    .orderBy('start_date')
    .execute();
  return (d) => periods.find((p) => p.start_date <= d && d < p.end_date)?.key ?? d.slice(0, 7);
}

/** Balance of every account of a tenant through a period, by currency (signed minor units). */
export async function accountBalances(db: Db | Tx, tenantId: bigint, throughPeriod?: string) {
  let q = db
    .selectFrom('journal_lines as l')
    .innerJoin('journal_entries as e', 'e.id', 'l.entry_id')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .select(['a.role', 'a.name', 'l.currency', sql<bigint>`sum(l.amount_minor)::bigint`.as('balance')])
    .where('l.tenant_id', '=', tenantId)
    .groupBy(['a.role', 'a.name', 'l.currency']);
  if (throughPeriod) q = q.where('e.period_key', '<=', throughPeriod);
  return q.execute();
}
