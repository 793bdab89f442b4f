/**
 * The exception queue: anything that could not be mapped, booked, posted or matched, each with
 * a plain reason and the ids to look it up. One open row per (tenant, kind, object); a repeat
 * refreshes the reason and counts the retry — except for an object a person excluded from the
 * books (`resolution = 'excluded'`, migration 0046), which stays closed.
 */
import { sql, type Selectable } from 'kysely';
import { AccrueError } from '../../shared/errors.ts';
import type { Db, Tx } from '../db/database.ts';
import type { ExceptionsTable } from '../db/schema.ts';

export type ExceptionKind =
  'stripe_event' | 'mapping' | 'engine' | 'qbo_post' | 'reconcile' | 'recognition_changed' | 'fx_rates';

export async function recordException(
  tx: Db | Tx,
  tenantId: bigint,
  kind: ExceptionKind,
  objectId: string,
  reason: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  await tx
    .insertInto('exceptions')
    .values({
      tenant_id: tenantId,
      kind,
      object_id: objectId,
      reason,
      details: JSON.stringify(details),
      resolved_at: null,
      resolved_by: null,
      note: null,
    })
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'kind', 'object_id'])
        .doUpdateSet({
          reason,
          details: JSON.stringify(details),
          status: 'open',
          retries: sql`exceptions.retries + 1`,
          resolved_at: null,
          resolved_by: null,
          resolution: null,
        })
        .where(sql<boolean>`exceptions.resolution is distinct from 'excluded'`),
    )
    .execute();
}

export interface ExceptionRow {
  id: string;
  kind: ExceptionKind;
  objectId: string;
  reason: string;
  details: unknown;
  status: 'open' | 'resolved';
  retries: number;
  createdAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  note: string | null;
}

export async function listExceptions(
  db: Db,
  tenantId: bigint,
  opts: { status?: 'open' | 'resolved'; limit?: number; after?: bigint } = {},
): Promise<ExceptionRow[]> {
  let q = db.selectFrom('exceptions').selectAll().where('tenant_id', '=', tenantId);
  if (opts.status) q = q.where('status', '=', opts.status);
  if (opts.after) q = q.where('id', '>', opts.after);
  const rows = await q
    .orderBy('id')
    .limit(Math.min(opts.limit ?? 50, 500))
    .execute();
  return rows.map(exceptionRowOf);
}

/** One `exceptions` table row as an `ExceptionRow`. */
export function exceptionRowOf(r: Selectable<ExceptionsTable>): ExceptionRow {
  return {
    id: r.id.toString(),
    kind: r.kind,
    objectId: r.object_id,
    reason: r.reason,
    details: r.details,
    status: r.status,
    retries: r.retries,
    createdAt: r.created_at.toISOString(),
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    resolvedBy: r.resolved_by,
    note: r.note,
  };
}

export async function resolveException(
  db: Db,
  tenantId: bigint,
  id: bigint,
  actor: string,
  note: string,
): Promise<void> {
  if (!note.trim()) throw new AccrueError('invalid_input', 'resolving an exception needs a note');
  const r = await db
    .updateTable('exceptions')
    .set({ status: 'resolved', resolved_at: new Date(), resolved_by: actor, note, resolution: 'resolved' })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (!r.numUpdatedRows) throw new AccrueError('not_found', `no open exception ${id}`);
}

/** Closes the open exception of one object, if any (the condition it reported has cleared). */
export async function resolveOpenExceptions(
  db: Db | Tx,
  tenantId: bigint,
  kind: ExceptionKind,
  objectId: string,
  note: string,
): Promise<void> {
  await db
    .updateTable('exceptions')
    .set({ status: 'resolved', resolved_at: new Date(), resolved_by: 'accrue', note })
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', kind)
    .where('object_id', '=', objectId)
    .where('status', '=', 'open')
    .execute();
}
