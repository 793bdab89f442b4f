/**
 * The audit log of the Admin API: one append-only row per call — who (key id, name, role),
 * what (method, path, route, tenant, parameters with secrets redacted), and how it ended
 * (status, outcome code, duration). Refused calls are recorded too, once the caller presented a
 * valid key; a call without one is only logged (`router.ts`).
 */
import { z } from 'zod';
import type { Db } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';
import { decodeIdCursor, toPage, type Page } from './paging.ts';
import { redactSecrets } from './redact.ts';
import { adminDb, type AdminRole } from './schema.ts';

/** Parameters longer than this (as JSON) are stored as a marker: the audit log records calls, not payloads. */
const PARAMS_MAX_CHARS = 8_000;
/** Longest path or refusal detail stored. */
const TEXT_MAX_CHARS = 500;

export interface AuditRecord {
  requestId: string | null;
  method: string;
  path: string;
  route: string | null;
  key: { id: bigint; prefix: string; name: string; role: AdminRole } | null;
  /** The prefix of a presented key that was refused (unknown or revoked), when it had one. */
  presentedPrefix: string | null;
  tenantId: bigint | null;
  params: unknown;
  status: number;
  outcome: string;
  detail: string | null;
  duration_ms: number;
}

/** A UTF-16 surrogate that is not part of a pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Deepest parameter nesting copied into a row; deeper values become a marker. */
const PARAMS_DEPTH_MAX = 32;

/**
 * `value` with what PostgreSQL's jsonb refuses replaced by U+FFFD: NUL and unpaired UTF-16
 * surrogates, in keys and strings (a refused request's parameters are recorded as they came).
 */
function storable(value: unknown, depth = 0): unknown {
  const clean = (s: string) => s.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
  if (typeof value === 'string') return clean(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= PARAMS_DEPTH_MAX) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((v) => storable(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [clean(k), storable(v, depth + 1)]));
}

function paramsJson(params: unknown): string {
  const json = JSON.stringify(storable(redactSecrets(params)) ?? {});
  return json.length <= PARAMS_MAX_CHARS ? json : JSON.stringify({ truncated: true, chars: json.length });
}

/**
 * Writes one audit row. A failure is logged at error level and not thrown: the call already
 * happened, and its response must still reach the caller. With `throwOnError` (the row is written
 * in the action's own transaction) it is thrown, so the action rolls back with it.
 */
export async function writeAudit(
  db: Db,
  log: Logger,
  r: AuditRecord,
  opts: { throwOnError?: boolean } = {},
): Promise<void> {
  try {
    await adminDb(db)
      .insertInto('admin_audit')
      .values({
        request_id: r.requestId,
        method: r.method,
        path: r.path.slice(0, TEXT_MAX_CHARS),
        route: r.route,
        key_id: r.key?.id ?? null,
        key_prefix: r.key?.prefix ?? r.presentedPrefix,
        key_name: r.key?.name ?? null,
        role: r.key?.role ?? null,
        tenant_id: r.tenantId,
        params: paramsJson(r.params),
        status: r.status,
        outcome: r.outcome,
        detail: r.detail?.slice(0, TEXT_MAX_CHARS) ?? null,
        duration_ms: Math.max(0, Math.round(r.duration_ms)),
      })
      .execute();
  } catch (err) {
    log.error({ err, method: r.method, path: r.path, status: r.status }, 'could not write the admin audit row');
    if (opts.throwOnError) throw err;
  }
}

export const AuditItem = z.object({
  id: z.string(),
  at: z.string(),
  requestId: z.string().nullable(),
  method: z.string(),
  path: z.string(),
  route: z.string().nullable(),
  keyPrefix: z.string().nullable(),
  keyName: z.string().nullable(),
  role: z.string().nullable(),
  tenantId: z.string().nullable(),
  params: z.unknown(),
  status: z.number().int(),
  outcome: z.string(),
  detail: z.string().nullable(),
  durationMs: z.number().int(),
});
export type AuditItem = z.infer<typeof AuditItem>;

export const AuditQuery = z.object({
  keyPrefix: z
    .string()
    .regex(/^aak_[A-Za-z0-9]{8}$/)
    .optional(),
  tenantId: z
    .string()
    .regex(/^\d{1,18}$/)
    .optional(),
  outcome: z
    .string()
    .regex(/^[a-z_]{1,40}$/)
    .optional()
    .describe('`ok` or an error code.'),
});

/** Audit rows, newest first. */
export async function listAudit(
  db: Db,
  f: z.infer<typeof AuditQuery> & { limit: number; after?: string | undefined },
): Promise<Page<AuditItem>> {
  const after = decodeIdCursor(f.after);
  let q = adminDb(db).selectFrom('admin_audit').selectAll();
  if (f.keyPrefix) q = q.where('key_prefix', '=', f.keyPrefix);
  if (f.tenantId) q = q.where('tenant_id', '=', BigInt(f.tenantId));
  if (f.outcome) q = q.where('outcome', '=', f.outcome);
  if (after !== null) q = q.where('id', '<', after);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(f.limit + 1)
    .execute();
  return toPage(
    rows,
    f.limit,
    (r) => [r.id.toString()],
    (r) => ({
      id: r.id.toString(),
      at: r.at.toISOString(),
      requestId: r.request_id,
      method: r.method,
      path: r.path,
      route: r.route,
      keyPrefix: r.key_prefix,
      keyName: r.key_name,
      role: r.role,
      tenantId: r.tenant_id?.toString() ?? null,
      params: r.params,
      status: r.status,
      outcome: r.outcome,
      detail: r.detail,
      durationMs: r.duration_ms,
    }),
  );
}
