/**
 * Small pieces the admin use cases share: checking that a table exists (QuickBooks and pg-boss
 * tables arrive with their own migrations and start-up), and turning timestamps into strings.
 */
import { sql } from 'kysely';
import type { Db, Tx } from '../db/database.ts';

/** True when `name` (optionally schema-qualified) is a table in this database. */
export async function hasTable(db: Db | Tx, name: string): Promise<boolean> {
  const r = await sql<{ t: string | null }>`select to_regclass(${name})::text as t`.execute(db);
  const t = r.rows[0]?.t;
  return t !== null && t !== undefined;
}

/** ISO 8601 or null. pg returns timestamptz as Date; raw text columns pass through. */
export function iso(v: Date | string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.toISOString() : new Date(v).toISOString();
}

/** Actor recorded on changes made through the Admin API: who, by name and key prefix. */
export function adminActor(key: { name: string; prefix: string }): string {
  return `admin:${key.name} (${key.prefix})`;
}
