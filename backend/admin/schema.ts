/**
 * Row types of the support-staff tables (migration 0004): the staff API keys and the append-only
 * audit log of every Admin API call. Kept apart from `backend/db/schema.ts` so the admin module
 * owns its own tables; queries use `Kysely<DB & AdminDB>` (see `adminDb`).
 */
import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';
import type { Db, Tx } from '../db/database.ts';
import type { DB } from '../db/schema.ts';

type Id = ColumnType<bigint, bigint | number | string | undefined, never>;

/** What a key may do: `viewer` reads, `operator` also changes things. */
export const ADMIN_ROLES = ['viewer', 'operator', 'approver'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export interface AdminKeysTable {
  id: Id;
  name: string;
  role: AdminRole;
  /** The public part of the key, shown in lists and logs to tell keys apart. */
  prefix: string;
  /** SHA-256 of the whole key, hex. The key itself is never stored. */
  key_hash: string;
  created_by: string;
  created_at: Generated<Date>;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface AdminAuditTable {
  id: Id;
  at: Generated<Date>;
  request_id: string | null;
  method: string;
  path: string;
  /** The route pattern that matched (`/tenants/:tenantId/health`), null when none did. */
  route: string | null;
  key_id: ColumnType<bigint | null, bigint | null, never>;
  key_prefix: string | null;
  key_name: string | null;
  role: AdminRole | null;
  tenant_id: ColumnType<bigint | null, bigint | null, never>;
  /** Path, query and body parameters with every secret-looking field redacted. */
  params: ColumnType<unknown, string, never>;
  status: number;
  /** `ok` or the error code of the refusal (`unauthorized`, `forbidden`, `invalid_input`, …). */
  outcome: string;
  /** Why a call was refused, in words (never the key or any secret). */
  detail: string | null;
  duration_ms: number;
}

export interface AdminDB {
  admin_keys: AdminKeysTable;
  admin_audit: AdminAuditTable;
}

export type AdminDb = Kysely<DB & AdminDB>;
export type AdminTx = Transaction<DB & AdminDB>;

/** The same connection, typed to see the admin tables too. */
export function adminDb(db: Db): AdminDb;
export function adminDb(db: Tx): AdminTx;
export function adminDb(db: Db | Tx): AdminDb | AdminTx {
  return db as unknown as AdminDb;
}
