/**
 * Admin use cases about the Stripe inbox: listing stored events, showing one with a summary of
 * its payload and the journal entries it produced, and replaying one event or a range (the
 * re-pending itself, with its drain request, is `backend/inbox/repend.ts`).
 *
 * Which entries an event "produced": an entry whose `cause` is the event id (processing records
 * the event it was processing as the cause), or whose `sources` contain the event's object id
 * (entries name the Stripe objects they come from). The second also finds entries that later
 * events or releases posted for the same object, which is what support usually wants to see;
 * each entry says which link found it.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { AccrueError } from '../../shared/errors.ts';
import type { Db } from '../db/database.ts';
import type { Jobs } from '../jobs/runner.ts';
import { rependEventAndRequestDrain, rependRangeAndRequestDrain } from '../inbox/repend.ts';
import { decodeCursor, toPage, type Page } from './paging.ts';
import { redactSecrets } from './redact.ts';
import { iso } from './util.ts';

/** A range replay touching more events than this must be split: one request, one bounded transaction. */
export const REPLAY_RANGE_MAX = 5_000;
/** Entries shown with one event: an invoice's life is a few dozen; more means a drill-down report is the better tool. */
const EVENT_ENTRIES_MAX = 200;
/** Scalar fields of the event's object shown in its summary. */
const SUMMARY_FIELDS_MAX = 40;

const EVENT_STATUSES = ['pending', 'processed', 'ignored', 'failed'] as const;
const Timestamp = z.string().describe('ISO 8601 timestamp');
const EventId = z
  .string()
  .regex(/^evt_[A-Za-z0-9_]{1,200}$/)
  .describe('Stripe event id (evt_…).');
const When = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(s) && !Number.isNaN(Date.parse(s)), 'an ISO 8601 date or date-time')
  .describe('ISO 8601 date or date-time (UTC when no offset is given).');

function epochSeconds(s: string): bigint {
  return BigInt(Math.floor(Date.parse(s) / 1000));
}

export const EventSummary = z.object({
  id: z.string(),
  tenantId: z.string(),
  type: z.string(),
  created: Timestamp.describe("Stripe's `created`."),
  objectId: z.string().nullable(),
  source: z.enum(['webhook', 'backfill', 'replay']),
  status: z.enum(EVENT_STATUSES),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  receivedAt: Timestamp,
  processedAt: Timestamp.nullable(),
});
export type EventSummary = z.infer<typeof EventSummary>;

export const EventListQuery = z.object({
  tenantId: z
    .string()
    .regex(/^\d{1,18}$/)
    .optional()
    .describe('Only this tenant.'),
  status: z.enum(EVENT_STATUSES).optional(),
  type: z
    .string()
    .regex(/^[a-z_.*]{1,100}$/)
    .optional()
    .describe('Event type; a trailing `*` matches a prefix (`invoice.*`).'),
  from: When.optional().describe('Stripe `created` at or after.'),
  to: When.optional().describe('Stripe `created` before.'),
});

type EventRow = {
  id: string;
  seq: bigint;
  tenant_id: bigint;
  type: string;
  created: bigint;
  object_id: string | null;
  source: 'webhook' | 'backfill' | 'replay';
  status: (typeof EVENT_STATUSES)[number];
  attempts: number;
  last_error: string | null;
  received_at: Date;
  processed_at: Date | null;
};
const EVENT_COLUMNS = [
  'id',
  'seq',
  'tenant_id',
  'type',
  'created',
  'object_id',
  'source',
  'status',
  'attempts',
  'last_error',
  'received_at',
  'processed_at',
] as const;

function toEvent(r: EventRow): EventSummary {
  return {
    id: r.id,
    tenantId: r.tenant_id.toString(),
    type: r.type,
    created: new Date(Number(r.created) * 1000).toISOString(),
    objectId: r.object_id,
    source: r.source,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
    receivedAt: r.received_at.toISOString(),
    processedAt: iso(r.processed_at),
  };
}

/** Stored events, newest arrival first. */
export async function listEvents(
  db: Db,
  f: z.infer<typeof EventListQuery> & { limit: number; after?: string | undefined },
): Promise<Page<EventSummary>> {
  // Arrival order across tenants: `seq` counts per tenant, so the page key is (received_at, tenant, seq),
  // received_at read back as text to keep its microseconds.
  const after = f.after ? decodeCursor(f.after, 3) : null;
  let q = db
    .selectFrom('stripe_events')
    .select(EVENT_COLUMNS)
    .select(sql<string>`received_at::text`.as('received_key'));
  if (f.tenantId) q = q.where('tenant_id', '=', BigInt(f.tenantId));
  if (f.status) q = q.where('status', '=', f.status);
  if (f.type)
    q = f.type.endsWith('*')
      ? q.where(sql<boolean>`starts_with(type, ${f.type.slice(0, -1)})`)
      : q.where('type', '=', f.type);
  if (f.from) q = q.where('created', '>=', epochSeconds(f.from));
  if (f.to) q = q.where('created', '<', epochSeconds(f.to));
  if (after !== null) {
    const [receivedKey, tenantId, seq] = after as [string, string, string];
    if (!/^\d+$/.test(tenantId) || !/^\d+$/.test(seq)) throw new AccrueError('invalid_input', 'malformed cursor');
    q = q.where(
      sql<boolean>`(received_at, tenant_id, seq) < (${receivedKey}::timestamptz, ${BigInt(tenantId)}, ${BigInt(seq)})`,
    );
  }
  const rows = await q
    .orderBy('received_at', 'desc')
    .orderBy('tenant_id', 'desc')
    .orderBy('seq', 'desc')
    .limit(f.limit + 1)
    .execute();
  return toPage(
    rows as (EventRow & { received_key: string })[],
    f.limit,
    (r) => [r.received_key, r.tenant_id.toString(), r.seq.toString()],
    toEvent,
  );
}

export const EntryLine = z.object({
  lineNo: z.number().int(),
  role: z.string(),
  account: z.string(),
  amountMinor: z.string().describe('Signed minor units: debit > 0, credit < 0.'),
  currency: z.string(),
});
export const ProducedEntry = z.object({
  id: z.string(),
  key: z.string(),
  kind: z.string(),
  postingDate: z.string(),
  periodKey: z.string(),
  correction: z.boolean(),
  memo: z.string(),
  linkedBy: z
    .enum(['cause', 'source'])
    .describe('`cause`: posted while processing this event; `source`: names the same Stripe object.'),
  lines: z.array(EntryLine),
});
export const EventDetail = EventSummary.extend({
  payload: z.object({
    apiVersion: z.string().nullable(),
    livemode: z.boolean().nullable(),
    objectType: z.string().nullable(),
    fields: z.record(z.string(), z.unknown()).describe('Scalar fields of the event object, secrets redacted.'),
    nestedFields: z.array(z.string()).describe('Names of the fields left out because they are objects or lists.'),
    previousAttributes: z.array(z.string()).describe('Names of the fields the event says changed.'),
  }),
  entries: z.array(ProducedEntry),
  entriesTruncated: z.boolean(),
});
export type EventDetail = z.infer<typeof EventDetail>;

function summarizePayload(payload: unknown): EventDetail['payload'] {
  const p = (payload ?? {}) as {
    api_version?: unknown;
    livemode?: unknown;
    data?: { object?: unknown; previous_attributes?: unknown };
  };
  const obj = (p.data?.object ?? {}) as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  const nested: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v !== null && typeof v === 'object') nested.push(k);
    else if (Object.keys(fields).length < SUMMARY_FIELDS_MAX) fields[k] = v;
  }
  const prev = p.data?.previous_attributes;
  return {
    apiVersion: typeof p.api_version === 'string' ? p.api_version : null,
    livemode: typeof p.livemode === 'boolean' ? p.livemode : null,
    objectType: typeof obj.object === 'string' ? obj.object : null,
    fields: redactSecrets(fields) as Record<string, unknown>,
    nestedFields: nested.sort(),
    previousAttributes: prev && typeof prev === 'object' ? Object.keys(prev).sort() : [],
  };
}

/** One event with its payload summary and the entries it produced. */
export async function showEvent(db: Db, eventId: string): Promise<EventDetail> {
  const ev = await db
    .selectFrom('stripe_events')
    .select([...EVENT_COLUMNS, 'payload'])
    .where('id', '=', eventId)
    .executeTakeFirst();
  if (!ev) throw new AccrueError('not_found', `no event ${eventId}`);
  const sourceMatch = ev.object_id ? sql<boolean>`e.sources @> array[${ev.object_id}]::text[]` : sql<boolean>`false`;
  const entries = await sql<{
    id: bigint;
    idempotency_key: string;
    kind: string;
    posting_date: string;
    period_key: string;
    correction: boolean;
    memo: string;
    by_cause: boolean;
  }>`
    select e.id, e.idempotency_key, e.kind, e.posting_date, e.period_key, e.correction, e.memo, (e.cause is not distinct from ${eventId}) as by_cause
    from journal_entries e
    where e.tenant_id = ${ev.tenant_id} and (e.cause = ${eventId} or ${sourceMatch})
    order by e.id limit ${EVENT_ENTRIES_MAX + 1}`.execute(db);
  const kept = entries.rows.slice(0, EVENT_ENTRIES_MAX);
  const ids = kept.map((e) => e.id);
  const lines = ids.length
    ? await db
        .selectFrom('journal_lines as l')
        .innerJoin('accounts as a', 'a.id', 'l.account_id')
        .select(['l.entry_id', 'l.line_no', 'a.role', 'a.name', 'l.amount_minor', 'l.currency'])
        .where('l.tenant_id', '=', ev.tenant_id)
        .where('l.entry_id', 'in', ids)
        .orderBy('l.entry_id')
        .orderBy('l.line_no')
        .execute()
    : [];
  return {
    ...toEvent(ev as EventRow),
    payload: summarizePayload(ev.payload),
    entries: kept.map((e) => ({
      id: e.id.toString(),
      key: e.idempotency_key,
      kind: e.kind,
      postingDate: e.posting_date,
      periodKey: e.period_key,
      correction: e.correction,
      memo: e.memo,
      linkedBy: e.by_cause ? ('cause' as const) : ('source' as const),
      lines: lines
        .filter((l) => l.entry_id === e.id)
        .map((l) => ({
          lineNo: l.line_no,
          role: l.role,
          account: l.name,
          amountMinor: BigInt(l.amount_minor).toString(),
          currency: l.currency,
        })),
    })),
    entriesTruncated: entries.rows.length > EVENT_ENTRIES_MAX,
  };
}

export const ReplayResult = z.object({
  tenantId: z.string(),
  repended: z.number().int().describe('Events set back to pending.'),
  eventIds: z.array(z.string()).describe('The events re-pended (at most the first 100 are listed).'),
  jobQueued: z
    .boolean()
    .describe('False when an inbox job for the tenant was already queued; that job picks the events up.'),
});
export type ReplayResult = z.infer<typeof ReplayResult>;
/** Event ids echoed back by a range replay: enough to spot-check, bounded for the response size. */
const REPLAY_IDS_SHOWN = 100;

/** Re-pends one event and requests its tenant's drain, in one transaction (`rependEventAndRequestDrain`). */
export async function replayEvent(db: Db, jobs: Jobs, eventId: string): Promise<ReplayResult> {
  return db.transaction().execute(async (tx) => {
    const repended = await rependEventAndRequestDrain(tx, jobs, eventId);
    if (!repended) throw new AccrueError('not_found', `no event ${eventId}`);
    return { tenantId: repended.tenantId.toString(), repended: 1, eventIds: [eventId], jobQueued: repended.jobQueued };
  });
}

export const ReplayRangeBody = z
  .object({
    from: When.describe('Stripe `created` at or after.'),
    to: When.describe('Stripe `created` before.'),
    statuses: z
      .array(z.enum(['failed', 'ignored', 'processed']))
      .min(1)
      .max(3)
      .default(['failed'])
      .describe('Which events to re-pend (default: failed ones).'),
    type: z
      .string()
      .regex(/^[a-z_.]{1,100}$/)
      .optional()
      .describe('Only events of this type.'),
  })
  .strict();

/** Re-pends every matching event of a tenant in a created range, with one drain request, in one transaction. */
export async function replayRange(
  db: Db,
  jobs: Jobs,
  tenantId: bigint,
  body: z.infer<typeof ReplayRangeBody>,
): Promise<ReplayResult> {
  const from = epochSeconds(body.from);
  const to = epochSeconds(body.to);
  if (to <= from) throw new AccrueError('invalid_input', '`to` must be after `from`');
  return db.transaction().execute(async (tx) => {
    const range = { from, to, statuses: body.statuses, type: body.type };
    const { ids, jobQueued } = await rependRangeAndRequestDrain(tx, jobs, tenantId, range, REPLAY_RANGE_MAX);
    return { tenantId: tenantId.toString(), repended: ids.length, eventIds: ids.slice(0, REPLAY_IDS_SHOWN), jobQueued };
  });
}

export { EventId };
