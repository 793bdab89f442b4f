/**
 * The approval queue (docs/accounting.md, "Approvals"), generic over the kind of change. A change
 * above the tenant's materiality threshold (`approval_threshold_minor`) is not applied: it is
 * stored as a request — its `kind`, a JSON payload that is everything needed to apply it later,
 * a summary, the requester's reason, and the most it moves in any one period — and applied only
 * when a second user with the approver role approves it. The requester can never decide their own
 * request (checked here and by the database). Every step is on the audit trail
 * (`approval_events`: who, when, what, why), including an apply that failed.
 *
 * A kind is plugged in with `registerApprovalKind` (how to apply its payload) and submitted with
 * `submitChange` (apply now when under the threshold, queue otherwise). `kinds.ts` registers
 * manual journals and period reopens; a rule change registers `rule_change` the same way.
 */
import { createHash } from 'node:crypto';
import { AccrueError } from '../../../shared/errors.ts';
import type { Db } from '../../db/database.ts';
import { getTenantById, type Tenant } from '../../ledger/tenants.ts';

/** What applying a change is told: the request, and who approved it. */
export interface ApplyContext {
  id: bigint;
  requestedBy: string;
  approvedBy: string;
  reason: string;
}

/** How to apply one kind of change once it is approved. */
export interface ApprovalKind {
  kind: string;
  /** Applies the payload; what it returns (JSON) is kept with the request. Throws to refuse. */
  apply(db: Db, tenant: Tenant, payload: unknown, ctx: ApplyContext): Promise<unknown>;
}

const KINDS = new Map<string, ApprovalKind>();

/** Plugs a kind of change into the queue; registering a kind twice replaces it. */
export function registerApprovalKind(k: ApprovalKind): void {
  if (!/^[a-z][a-z_]{0,39}$/.test(k.kind)) throw new AccrueError('internal', `bad approval kind "${k.kind}"`);
  KINDS.set(k.kind, k);
}

export function approvalKinds(): string[] {
  return [...KINDS.keys()].sort();
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected';

export interface ApprovalEvent {
  action: 'requested' | 'approved' | 'rejected' | 'apply_failed';
  actor: string;
  note: string | null;
  at: string;
}

/** A request as every surface shows it (amounts as minor-unit strings). */
export interface Approval {
  id: string;
  kind: string;
  summary: string;
  reason: string;
  movementMinor: string | null;
  status: ApprovalStatus;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  payload: unknown;
  result: unknown;
  events: ApprovalEvent[];
}

/** A change submitted for the queue. `movementMinor` null: it needs approval whatever it moves. */
export interface ChangeRequest {
  kind: string;
  payload: unknown;
  summary: string;
  reason: string;
  movementMinor: bigint | null;
  requestedBy: string;
}

/** The tenant's threshold, or null when approvals are off. */
export function materialityThreshold(tenant: Tenant): bigint | null {
  const t = tenant.settings.approval_threshold_minor;
  return t === null || t === undefined ? null : BigInt(t);
}

/** True when the change must wait for a second user: approvals are on and it is material. */
export function needsApproval(tenant: Tenant, movementMinor: bigint | null): boolean {
  const threshold = materialityThreshold(tenant);
  if (threshold === null) return false;
  return movementMinor === null || movementMinor > threshold;
}

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
const parsed = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);

/**
 * Applies the change now when it is under the threshold, or queues it. The same change submitted
 * again while one is pending (same kind and payload) answers the pending request.
 */
export async function submitChange<R>(
  db: Db,
  tenant: Tenant,
  change: ChangeRequest,
  applyNow: () => Promise<R>,
): Promise<{ applied: R } | { approval: Approval }> {
  if (!needsApproval(tenant, change.movementMinor)) return { applied: await applyNow() };
  return { approval: await requestApproval(db, tenant, change) };
}

/** Queues a change (idempotent while it is pending) and records who asked and why. */
export async function requestApproval(db: Db, tenant: Tenant, change: ChangeRequest): Promise<Approval> {
  if (!KINDS.has(change.kind)) throw new AccrueError('internal', `no approval kind "${change.kind}" is registered`);
  const reason = change.reason.trim();
  if (!reason) throw new AccrueError('invalid_input', 'a change that needs approval needs a reason');
  const requestedBy = change.requestedBy.trim();
  if (!requestedBy) throw new AccrueError('invalid_input', 'a change that needs approval needs its requester');
  const body = json(change.payload);
  const key = createHash('sha256').update(`${change.kind}\u0000${body}`).digest('hex');
  const id = await db.transaction().execute(async (tx) => {
    const existing = await tx
      .selectFrom('approval_requests')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where('request_key', '=', key)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (existing) return existing.id;
    const row = await tx
      .insertInto('approval_requests')
      .values({
        tenant_id: tenant.id,
        kind: change.kind,
        request_key: key,
        payload: body,
        summary: change.summary.slice(0, 500),
        reason: reason.slice(0, 1000),
        movement_minor: change.movementMinor,
        requested_by: requestedBy.slice(0, 200),
        result: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('approval_events')
      .values({ tenant_id: tenant.id, approval_id: row.id, action: 'requested', actor: requestedBy, note: reason })
      .execute();
    return row.id;
  });
  return getApproval(db, tenant, id);
}

/** The tenant's requests, newest first (pending only, by default). */
export async function listApprovals(
  db: Db,
  tenant: Tenant,
  opts: { status?: ApprovalStatus | 'all'; limit?: number; beforeId?: bigint } = {},
): Promise<Approval[]> {
  let q = db
    .selectFrom('approval_requests')
    .select('id')
    .where('tenant_id', '=', tenant.id)
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(opts.limit ?? 100, 1), 500));
  const status = opts.status ?? 'pending';
  if (status !== 'all') q = q.where('status', '=', status);
  if (opts.beforeId !== undefined) q = q.where('id', '<', opts.beforeId);
  const ids = await q.execute();
  return Promise.all(ids.map((r) => getApproval(db, tenant, r.id)));
}

/** One request with its audit trail; `not_found` when the tenant has no such request. */
export async function getApproval(db: Db, tenant: Tenant, id: bigint | string): Promise<Approval> {
  const key = parseId(id);
  const r = await db
    .selectFrom('approval_requests')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .where('id', '=', key)
    .executeTakeFirst();
  if (!r) throw new AccrueError('not_found', `no approval request ${key}`);
  const events = await db
    .selectFrom('approval_events')
    .select(['action', 'actor', 'note', 'at'])
    .where('tenant_id', '=', tenant.id)
    .where('approval_id', '=', key)
    .orderBy('id')
    .execute();
  return {
    id: r.id.toString(),
    kind: r.kind,
    summary: r.summary,
    reason: r.reason,
    movementMinor: r.movement_minor === null ? null : r.movement_minor.toString(),
    status: r.status,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at.toISOString(),
    decidedBy: r.decided_by,
    decidedAt: r.decided_at?.toISOString() ?? null,
    decisionNote: r.decision_note,
    payload: parsed(r.payload),
    result: parsed(r.result) ?? null,
    events: events.map((e) => ({ ...e, at: e.at.toISOString() })),
  };
}

function parseId(id: bigint | string): bigint {
  if (typeof id === 'bigint') return id;
  if (!/^\d{1,18}$/.test(id)) throw new AccrueError('invalid_input', `approval id "${id}" is not a number`);
  return BigInt(id);
}

/** Who decides: the surface (admin key role, Stripe role, CLI) says whether they hold the approver role. */
export interface Decider {
  actor: string;
  isApprover: boolean;
}

async function pendingFor(db: Db, tenant: Tenant, id: bigint | string, decider: Decider): Promise<Approval> {
  if (!decider.isApprover)
    throw new AccrueError('forbidden', 'only a user with the approver role can approve or reject a change');
  const a = await getApproval(db, tenant, id);
  if (a.status !== 'pending') throw new AccrueError('conflict', `approval request ${a.id} was already ${a.status}`);
  if (a.requestedBy === decider.actor.trim())
    throw new AccrueError(
      'forbidden',
      `${a.requestedBy} requested this change; a second user must approve or reject it`,
    );
  return a;
}

async function decide(
  db: Db,
  tenant: Tenant,
  a: Approval,
  decider: Decider,
  status: 'approved' | 'rejected',
  note: string | null,
  result: unknown,
): Promise<Approval> {
  await db.transaction().execute(async (tx) => {
    const updated = await tx
      .updateTable('approval_requests')
      .set({
        status,
        decided_by: decider.actor.trim(),
        decided_at: new Date(),
        decision_note: note,
        result: result === undefined ? null : json(result),
      })
      .where('tenant_id', '=', tenant.id)
      .where('id', '=', BigInt(a.id))
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n)
      throw new AccrueError('conflict', `approval request ${a.id} was decided meanwhile`);
    await tx
      .insertInto('approval_events')
      .values({ tenant_id: tenant.id, approval_id: BigInt(a.id), action: status, actor: decider.actor.trim(), note })
      .execute();
  });
  return getApproval(db, tenant, a.id);
}

/**
 * Approves a pending request: applies its change (as its kind says, with the tenant as it is
 * now), then records the approval with what applying returned. When applying refuses, the
 * refusal is recorded on the trail, the request stays pending, and the error is rethrown.
 */
export async function approveChange(
  db: Db,
  tenant: Tenant,
  id: bigint | string,
  decider: Decider,
  note?: string,
): Promise<Approval> {
  const a = await pendingFor(db, tenant, id, decider);
  const kind = KINDS.get(a.kind);
  if (!kind) throw new AccrueError('conflict', `approval kind "${a.kind}" is not available in this version`);
  let result: unknown;
  try {
    result = await kind.apply(db, await getTenantById(db, tenant.id), a.payload, {
      id: BigInt(a.id),
      requestedBy: a.requestedBy,
      approvedBy: decider.actor.trim(),
      reason: a.reason,
    });
  } catch (e) {
    await db
      .insertInto('approval_events')
      .values({
        tenant_id: tenant.id,
        approval_id: BigInt(a.id),
        action: 'apply_failed',
        actor: decider.actor.trim(),
        note: (e instanceof Error ? e.message : String(e)).slice(0, 1000),
      })
      .execute();
    throw e;
  }
  return decide(db, tenant, a, decider, 'approved', note?.trim() || null, result ?? null);
}

/** Rejects a pending request; a rejection needs its reason. Nothing is applied. */
export async function rejectChange(
  db: Db,
  tenant: Tenant,
  id: bigint | string,
  decider: Decider,
  note: string,
): Promise<Approval> {
  if (!note?.trim()) throw new AccrueError('invalid_input', 'a rejection needs a reason');
  const a = await pendingFor(db, tenant, id, decider);
  return decide(db, tenant, a, decider, 'rejected', note.trim(), undefined);
}
