/**
 * Booking: storing a batch's facts and turning the facts of each touched aggregate into posted
 * entries (the pure engine, then the ledger), for the drain (`process.ts`) and for a release.
 * An entry that changed after it was posted gets an adjustment entry and an exception.
 */
import { minor } from '../../shared/money.ts';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { isAccrueError } from '../../shared/errors.ts';
import { aggregateKeyOf, factKey, runEngine, type Fact } from '../../shared/engine/index.ts';
import { parseFact, serializeFact } from '../../shared/engine/facts.ts';
import { entriesFromCutover } from '../../shared/engine/cutover.ts';
import type { EntryDraft, LineDraft, LocalDate } from '../../shared/journal.ts';
import { ROLE_INFO, type AccountRole } from '../../shared/accounts.ts';
import type { Db, Tx } from '../db/database.ts';
import {
  LINE_AMOUNT_AND_DIMENSION_COLUMNS,
  newPostCache,
  postEntry,
  postNewEntries,
  type PostCache,
} from '../ledger/ledger.ts';
import type { Tenant } from '../ledger/tenants.ts';
import { recordException } from '../ledger/exception-queue.ts';
import { loadProviderRates, withProviderRates } from '../rates/store.ts';
import { rulesInForce } from './rules/rule-store.ts';
import type { TenantSettings } from '../../shared/settings.ts';

/** Called after entries were posted for a tenant (e.g. to enqueue a QuickBooks sync). */
export type AfterPost = (tx: Tx, tenant: Tenant) => Promise<void>;

/** A fact with what storing it needs, computed while mapping (which overlaps the previous commit). */
export interface PreparedFact {
  fact: Fact;
  key: string;
  aggregate: string;
  text: string;
  hash: string;
}

export function prepareFact(fact: Fact): PreparedFact {
  const text = serializeFact(fact);
  return {
    fact,
    key: factKey(fact),
    aggregate: aggregateKeyOf(fact),
    text,
    hash: createHash('sha256').update(text).digest('hex'),
  };
}

/** Most parsed facts a drain keeps in memory; past it the cache starts over. */
const FACT_CACHE_MAX = 20_000;

/**
 * Parsed facts by content hash, so a fact written by one batch is not read back and parsed again
 * by the next batch that books its aggregate. Content-addressed: a hit is always the same fact.
 */
export class FactCache {
  private readonly byHash = new Map<string, Fact>();
  get(hash: string): Fact | undefined {
    return hash ? this.byHash.get(hash) : undefined;
  }
  set(hash: string, fact: Fact): void {
    if (!hash) return;
    if (this.byHash.size >= FACT_CACHE_MAX) this.byHash.clear();
    this.byHash.set(hash, fact);
  }
}

/** Facts written per statement (6 columns each). */
const FACT_UPSERT_CHUNK = 1_000;

/**
 * Stores facts and returns the aggregates whose facts changed. A fact read again with the same
 * content changes nothing; a changed one replaces the stored reading (the last event wins).
 */
export async function storeFacts(
  tx: Tx,
  tenantId: bigint,
  facts: { fact: PreparedFact; eventId: string }[],
  cache: FactCache,
): Promise<Set<string>> {
  const touched = new Set<string>();
  if (!facts.length) return touched;
  const rows = new Map<
    string,
    { fact_key: string; aggregate: string; fact: string; fact_hash: string; event_id: string }
  >();
  for (const { fact: f, eventId } of facts) {
    rows.set(f.key, { fact_key: f.key, aggregate: f.aggregate, fact: f.text, fact_hash: f.hash, event_id: eventId });
    cache.set(f.hash, f.fact);
  }
  const keys = [...rows.keys()];
  for (let i = 0; i < keys.length; i += FACT_UPSERT_CHUNK) {
    const existing = await tx
      .selectFrom('stripe_facts')
      .select(['fact_key', 'fact_hash'])
      .where('tenant_id', '=', tenantId)
      .where('fact_key', 'in', keys.slice(i, i + FACT_UPSERT_CHUNK))
      .execute();
    for (const e of existing) if (rows.get(e.fact_key)?.fact_hash === e.fact_hash) rows.delete(e.fact_key);
  }
  const changed = [...rows.values()];
  for (const r of changed) touched.add(r.aggregate);
  for (let i = 0; i < changed.length; i += FACT_UPSERT_CHUNK) {
    await tx
      .insertInto('stripe_facts')
      .values(changed.slice(i, i + FACT_UPSERT_CHUNK).map((r) => ({ tenant_id: tenantId, ...r })))
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'fact_key']).doUpdateSet((eb) => ({
          fact: eb.ref('excluded.fact'),
          fact_hash: eb.ref('excluded.fact_hash'),
          aggregate: eb.ref('excluded.aggregate'),
          event_id: eb.ref('excluded.event_id'),
          updated_at: new Date(),
        })),
      )
      .execute();
  }
  return touched;
}

/**
 * The stored facts of each aggregate, in fact-key order. Facts already parsed in this run (by
 * content hash) are not read again: the first query returns hashes, the second only the rest.
 */
export async function loadFacts(
  tx: Db | Tx,
  tenantId: bigint,
  aggregates: string[],
  cache: FactCache,
): Promise<Map<string, Fact[]>> {
  const out = new Map<string, Fact[]>();
  if (!aggregates.length) return out;
  const rows = await tx
    .selectFrom('stripe_facts')
    .select(['aggregate', 'fact_key', 'fact_hash'])
    .where('tenant_id', '=', tenantId)
    .where('aggregate', 'in', aggregates)
    .orderBy('fact_key')
    .execute();
  const missing = rows.filter((r) => !cache.get(r.fact_hash)).map((r) => r.fact_key);
  const fetched = new Map<string, Fact>();
  for (let i = 0; i < missing.length; i += FACT_UPSERT_CHUNK) {
    const texts = await tx
      .selectFrom('stripe_facts')
      .select(['fact_key', 'fact_hash', sql<string>`fact::text`.as('text')])
      .where('tenant_id', '=', tenantId)
      .where('fact_key', 'in', missing.slice(i, i + FACT_UPSERT_CHUNK))
      .execute();
    for (const t of texts) {
      const fact = parseFact(t.text);
      fetched.set(t.fact_key, fact);
      cache.set(t.fact_hash, fact);
    }
  }
  for (const r of rows) {
    const fact = cache.get(r.fact_hash) ?? fetched.get(r.fact_key);
    if (!fact) continue; // replaced between the two reads: impossible under the books lock
    const list = out.get(r.aggregate) ?? [];
    list.push(fact);
    out.set(r.aggregate, list);
  }
  return out;
}

/** Which entries a booking run considers: all of them, or only those dated after a date. */
export interface BookingScope {
  /**
   * Only entries dated after this (the previous release watermark). Everything dated on or
   * before it was posted when its event was processed or by an earlier release.
   */
  datedAfter?: LocalDate;
}

/**
 * Takes the tenant's books lock until the transaction ends: the drain, the release and a re-booking
 * after new rates each hold it, so two of them never book the same aggregates at once.
 */
export async function lockTenantBooks(tx: Tx, tenantId: bigint): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`books:${tenantId}`}, 0))`.execute(tx);
}

/**
 * The tenant's settings as the engine books with them: with the rule list (its own table) and the
 * rate provider's rates when it has one.
 */
export async function bookingSettings(tx: Db | Tx, tenant: Tenant): Promise<TenantSettings> {
  const settings = { ...tenant.settings, rules: await rulesInForce(tx, tenant) };
  if (!settings.fx_provider) return settings;
  return withProviderRates(settings, await loadProviderRates(tx, tenant.id));
}

/**
 * Runs the engine over each aggregate and posts what it yields, in bulk: entries already posted
 * with the same body cost nothing; new ones are inserted a chunk per statement; an entry whose
 * body changed since it was posted gets an adjustment (postOrAdjust).
 */
export async function bookAggregates(
  tx: Tx,
  afterPost: AfterPost | undefined,
  tenant: Tenant,
  aggregates: Set<string>,
  through: LocalDate,
  cause: string,
  scope: BookingScope = {},
  factCache = new FactCache(),
): Promise<number> {
  const byAggregate = await loadFacts(tx, tenant.id, [...aggregates].sort(), factCache);
  const settings = await bookingSettings(tx, tenant);
  const drafts: EntryDraft[] = [];
  for (const [aggregate, facts] of byAggregate) {
    const result = runEngine({ settings, facts, through });
    for (const ex of result.exceptions) {
      // A warning (booked on an estimate) has its own row, so the object's own refusal does not overwrite it.
      const objectId = ex.severity === 'warning' ? `${ex.objectId}#warning` : ex.objectId;
      const details = ex.severity === 'warning' ? { aggregate, severity: 'warning' } : { aggregate };
      await recordException(tx, tenant.id, 'engine', objectId, ex.reason, details);
    }
    // Books that start at a cutover take nothing Stripe did before it (its objects are still known).
    for (const d of entriesFromCutover(result.entries, settings.cutover_date)) {
      if (scope.datedAfter !== undefined && d.postingDate <= scope.datedAfter) continue;
      drafts.push(d);
    }
  }
  const cache = newPostCache();
  const { created, conflicts } = await postNewEntries(tx, tenant, drafts, { cause, cache });
  let posted = created;
  for (const draft of conflicts) if (await postOrAdjust(tx, tenant, draft, cause, cache)) posted++;
  if (posted && afterPost) await afterPost(tx, tenant);
  return posted;
}

type Identity = string;
function lineIdentity(l: LineDraft): Identity {
  return JSON.stringify([
    l.role,
    l.account,
    l.currency,
    l.original?.currency ?? null,
    l.original?.rate ?? null,
    l.customer ?? null,
    l.invoice ?? null,
    l.invoiceLine ?? null,
    l.product ?? null,
    l.bookedOn ?? null,
  ]);
}

/**
 * Posts an entry; returns true when something new was written. When the same key was posted
 * earlier with a different body — a fact that arrived after its period was released — the
 * difference is posted as an adjustment entry (the journal is append-only) and recorded as an
 * exception for a person to see.
 */
async function postOrAdjust(
  tx: Tx,
  tenant: Tenant,
  draft: EntryDraft,
  cause: string,
  cache?: PostCache,
): Promise<boolean> {
  try {
    const r = await postEntry(tx, tenant, draft, { cause, cache });
    return r.created;
  } catch (e) {
    if (!isAccrueError(e) || e.code !== 'conflict') throw e;
  }
  return postDifference(tx, tenant, draft, cause, cache);
}

/**
 * Posts, as an adjustment entry, the difference between what the ledger holds under `draft.key`
 * (with its earlier adjustments) and `draft.lines` — which may be empty, when the engine no longer
 * makes the entry at all (a rule change). Returns false when there is no difference.
 */
export async function postDifference(
  tx: Tx,
  tenant: Tenant,
  draft: EntryDraft,
  cause: string,
  cache?: PostCache,
): Promise<boolean> {
  const posted = await tx
    .selectFrom('journal_lines as l')
    .innerJoin('journal_entries as e', 'e.id', 'l.entry_id')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .select(['a.role', 'a.name', ...LINE_AMOUNT_AND_DIMENSION_COLUMNS])
    .where('e.tenant_id', '=', tenant.id)
    .where((eb) =>
      eb.or([eb('e.idempotency_key', '=', draft.key), eb('e.idempotency_key', 'like', `${draft.key}:adj:%`)]),
    )
    .execute();
  const diff = new Map<Identity, LineDraft>();
  const add = (l: LineDraft, sign: 1n | -1n) => {
    const id = lineIdentity(l);
    const cur = diff.get(id) ?? {
      ...l,
      amountMinor: minor(0n),
      original: l.original ? { ...l.original, amountMinor: minor(0n) } : undefined,
    };
    cur.amountMinor = minor(cur.amountMinor + sign * l.amountMinor);
    if (cur.original && l.original)
      cur.original.amountMinor = minor(cur.original.amountMinor + sign * l.original.amountMinor);
    diff.set(id, cur);
  };
  // Name every draft line's account as the ledger does, so draft and posted lines compare.
  const names = tenant.settings.account_names as Partial<Record<AccountRole, string>>;
  for (const l of draft.lines) add({ ...l, account: l.account ?? names[l.role] ?? ROLE_INFO[l.role].defaultName }, 1n);
  for (const p of posted) {
    add(
      {
        role: p.role as AccountRole,
        account: p.name,
        amountMinor: minor(BigInt(p.amount_minor)),
        currency: p.currency,
        original: p.original_currency
          ? {
              currency: p.original_currency,
              amountMinor: minor(BigInt(p.original_amount_minor!)),
              rate: p.fx_rate ?? '1',
            }
          : undefined,
        customer: p.customer ?? undefined,
        invoice: p.invoice ?? undefined,
        invoiceLine: p.invoice_line ?? undefined,
        product: p.product ?? undefined,
        bookedOn: p.booked_on ?? undefined,
      },
      -1n,
    );
  }
  // Posted lines carry the resolved account name; drafts may leave it to the role default.
  const lines = [...diff.values()].filter((l) => l.amountMinor !== 0n);
  if (!lines.length) return false;
  const digest = createHash('sha256')
    .update(JSON.stringify(draft, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('hex')
    .slice(0, 12);
  const ruleChange = cause.startsWith('rule-change:');
  const adjustment: EntryDraft = {
    key: `${draft.key}:adj:${digest}`,
    kind: draft.kind,
    postingDate: draft.postingDate,
    memo: ruleChange
      ? `Rule change ${cause.slice('rule-change:'.length)}: ${draft.memo} re-applied`
      : `Adjustment: ${draft.memo} changed after it was posted`,
    sources: draft.sources,
    lines,
  };
  await postEntry(tx, tenant, adjustment, { cause, cache });
  // A rule change is its own record (rule_changes, the entries' cause); only a late fact is an exception.
  if (ruleChange) return true;
  await recordException(
    tx,
    tenant.id,
    'recognition_changed',
    draft.key,
    `entry ${draft.key} changed after it was posted (a late or corrected Stripe fact); the difference was posted as ${adjustment.key}`,
    { adjustment: adjustment.key },
  );
  return true;
}
