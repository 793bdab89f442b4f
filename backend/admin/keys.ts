/**
 * Support-staff API keys: created with a role, shown once, stored only as a SHA-256 hash with a
 * short public prefix to tell keys apart, revocable. Authentication compares hashes in constant
 * time, so neither the key nor how much of it matched leaks through timing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { AccrueError } from '../../shared/errors.ts';
import type { Db } from '../db/database.ts';
import { adminDb, ADMIN_ROLES, type AdminRole } from './schema.ts';

/** Every key starts with this, so a leaked one is easy to recognize (and to grep for). */
const KEY_TAG = 'aak_';
/** Characters of the public id after the tag: 62^8 ≈ 2^47 keeps collisions rare among staff keys. */
const PREFIX_CHARS = 8;
/** Secret bytes: 256 bits, far beyond guessing, which is why a plain (unsalted) SHA-256 suffices. */
const SECRET_BYTES = 32;
/** Attempts to draw a prefix that is not taken yet before giving up (collisions are ~impossible). */
const PREFIX_ATTEMPTS = 5;
/** Longest key name, matching the column check. */
const NAME_MAX_CHARS = 100;
/** `last_used_at` is refreshed at most this often, so reads do not each cost a write. */
const LAST_USED_RESOLUTION_SECONDS = 60;

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const KEY_PATTERN = new RegExp(`^(${KEY_TAG}[A-Za-z0-9]{${PREFIX_CHARS}})_([A-Za-z0-9_-]{43})$`);

export interface AdminKey {
  id: bigint;
  name: string;
  role: AdminRole;
  prefix: string;
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** SHA-256 of a key, hex. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function randomAlphanumeric(n: number): string {
  // 248 is the largest multiple of 62 below 256: bytes above it are dropped so every character
  // is equally likely (no modulo bias).
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b < 248 && out.length < n) out += ALPHANUMERIC[b % 62];
    }
  }
  return out;
}

/** The public part of a presented key, or null when it does not look like one of ours. */
export function prefixOf(key: string): string | null {
  const m = KEY_PATTERN.exec(key);
  return m ? m[1]! : null;
}

type KeyRow = {
  id: bigint;
  name: string;
  role: AdminRole;
  prefix: string;
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
};

function toKey(r: KeyRow): AdminKey {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    prefix: r.prefix,
    createdBy: r.created_by,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

const KEY_COLUMNS = ['id', 'name', 'role', 'prefix', 'created_by', 'created_at', 'revoked_at', 'last_used_at'] as const;

/**
 * Creates a key. Returns the key itself — the only time it exists outside the caller's hands —
 * with its stored description.
 */
export async function createAdminKey(
  db: Db,
  input: { name: string; role: AdminRole; createdBy: string },
): Promise<{ key: string; record: AdminKey }> {
  const name = input.name.trim();
  if (!name || name.length > NAME_MAX_CHARS)
    throw new AccrueError('invalid_input', `a key needs a name of 1–${NAME_MAX_CHARS} characters`);
  if (!(ADMIN_ROLES as readonly string[]).includes(input.role))
    throw new AccrueError('invalid_input', `role must be one of ${ADMIN_ROLES.join(', ')}`);
  for (let i = 0; i < PREFIX_ATTEMPTS; i++) {
    const prefix = `${KEY_TAG}${randomAlphanumeric(PREFIX_CHARS)}`;
    const key = `${prefix}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
    const row = await adminDb(db)
      .insertInto('admin_keys')
      .values({
        name,
        role: input.role,
        prefix,
        key_hash: hashKey(key),
        created_by: input.createdBy,
        revoked_at: null,
        last_used_at: null,
      })
      .onConflict((oc) => oc.column('prefix').doNothing())
      .returning(KEY_COLUMNS)
      .executeTakeFirst();
    if (row) return { key, record: toKey(row as KeyRow) };
  }
  throw new AccrueError('internal', 'could not draw an unused key prefix');
}

/** Every key, newest first, without hashes. */
export async function listAdminKeys(db: Db): Promise<AdminKey[]> {
  const rows = await adminDb(db).selectFrom('admin_keys').select(KEY_COLUMNS).orderBy('id', 'desc').execute();
  return rows.map((r) => toKey(r as KeyRow));
}

/** Revokes the key with this prefix. Revoking twice is a conflict, an unknown prefix not_found. */
export async function revokeAdminKey(db: Db, prefix: string): Promise<AdminKey> {
  const row = await adminDb(db)
    .updateTable('admin_keys')
    .set({ revoked_at: new Date() })
    .where('prefix', '=', prefix)
    .where('revoked_at', 'is', null)
    .returning(KEY_COLUMNS)
    .executeTakeFirst();
  if (row) return toKey(row as KeyRow);
  const exists = await adminDb(db)
    .selectFrom('admin_keys')
    .select('id')
    .where('prefix', '=', prefix)
    .executeTakeFirst();
  throw exists
    ? new AccrueError('conflict', `key ${prefix} is already revoked`)
    : new AccrueError('not_found', `no key ${prefix}`);
}

export type Authentication =
  { ok: true; key: AdminKey } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked'; prefix: string | null };

/** A hash compared against when no key matches, so unknown keys take as long as wrong ones. */
const DUMMY_HASH = Buffer.from(hashKey('accrue-admin-no-such-key'), 'hex');

/**
 * Checks a presented key. The row is found by its public prefix; the secret is verified by
 * comparing SHA-256 hashes with `timingSafeEqual`.
 */
export async function authenticateAdminKey(db: Db, presented: string): Promise<Authentication> {
  const prefix = prefixOf(presented);
  const presentedHash = Buffer.from(hashKey(presented), 'hex');
  if (!prefix) {
    timingSafeEqual(presentedHash, DUMMY_HASH);
    return { ok: false, reason: 'malformed', prefix: null };
  }
  const row = await adminDb(db)
    .selectFrom('admin_keys')
    .select([...KEY_COLUMNS, 'key_hash'])
    .where('prefix', '=', prefix)
    .executeTakeFirst();
  const stored = row ? Buffer.from(row.key_hash, 'hex') : DUMMY_HASH;
  const matches = timingSafeEqual(presentedHash, stored) && row !== undefined;
  if (!row || !matches) return { ok: false, reason: 'unknown', prefix };
  if (row.revoked_at) return { ok: false, reason: 'revoked', prefix };
  await sql`update admin_keys set last_used_at = now()
    where id = ${row.id} and (last_used_at is null or last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_SECONDS}))`.execute(
    db,
  );
  return { ok: true, key: toKey(row as KeyRow) };
}
