/**
 * The schema can be sharded by tenant (Citus): every table of the migrated schema is placed
 * (`backend/db/distribution.ts`); every tenant table has a non-null `tenant_id` that each of its
 * primary keys and unique constraints contains; no tenant table's arrival order comes from a
 * sequence; foreign keys between tenant tables carry the tenant; and ARCHITECTURE.md prints the
 * statements that distribute them. The check itself is shown to catch a key without the tenant.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../backend/db/database.ts';
import { citusStatements, DISTRIBUTED_TABLES, LOCAL_TABLES, REFERENCE_TABLES } from '../../backend/db/distribution.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

const BOOKKEEPING = ['accrue_migrations', 'accrue_migrations_lock'];

async function tables(db: Db): Promise<string[]> {
  const r = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`.execute(db);
  return r.rows.map((x) => x.name).filter((n) => !BOOKKEEPING.includes(n));
}

/** What keeps `table` from being sharded by tenant; empty when nothing does. */
async function tenantKeyProblems(db: Db, table: string): Promise<string[]> {
  const problems: string[] = [];
  const col = await sql<{ attnotnull: boolean }>`
    select attnotnull from pg_attribute where attrelid = ${table}::regclass and attname = 'tenant_id' and not attisdropped`.execute(
    db,
  );
  if (!col.rows.length) return [`${table} has no tenant_id column`];
  if (!col.rows[0]!.attnotnull) problems.push(`${table}.tenant_id may be null`);
  const keys = await sql<{ conname: string; contype: string; columns: string[] }>`
    select c.conname, c.contype,
           array(select a.attname::text from unnest(c.conkey) k join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k) as columns
    from pg_constraint c where c.conrelid = ${table}::regclass and c.contype in ('p', 'u', 'f')`.execute(db);
  for (const k of keys.rows) {
    if (k.contype === 'f') {
      const target = await sql<{ target: string }>`
        select confrelid::regclass::text as target from pg_constraint where conname = ${k.conname} and conrelid = ${table}::regclass`.execute(
        db,
      );
      const to = target.rows[0]!.target;
      if (!(REFERENCE_TABLES as readonly string[]).includes(to) && !k.columns.includes('tenant_id'))
        problems.push(`${table}: foreign key ${k.conname} to ${to} lacks tenant_id`);
      continue;
    }
    if (!k.columns.includes('tenant_id'))
      problems.push(
        `${table}: ${k.contype === 'p' ? 'primary key' : 'unique'} ${k.conname} (${k.columns}) lacks tenant_id`,
      );
  }
  const sequenced = await sql<{ attname: string }>`
    select a.attname from pg_attribute a join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = ${table}::regclass and pg_get_expr(d.adbin, d.adrelid) like 'nextval(%'`.execute(db);
  for (const s of sequenced.rows)
    if (s.attname !== 'id') problems.push(`${table}.${s.attname} takes its values from a table-wide sequence`);
  return problems;
}

it('places every table: reference, local, or distributed by tenant', async () => {
  const placed = [...REFERENCE_TABLES, ...LOCAL_TABLES, ...DISTRIBUTED_TABLES].sort();
  expect(await tables(t.db)).toEqual(placed);
});

it('gives every tenant table keys that contain tenant_id, and no sequence-numbered order', async () => {
  const problems: string[] = [];
  for (const table of DISTRIBUTED_TABLES) problems.push(...(await tenantKeyProblems(t.db, table)));
  expect(problems).toEqual([]);
});

it('catches a tenant table whose key lacks the tenant', async () => {
  await sql`create table scratch_bad (id bigserial primary key, tenant_id bigint not null, ref text unique,
    seq bigserial)`.execute(t.db);
  await sql`create table scratch_untenanted (id bigint primary key)`.execute(t.db);
  try {
    expect(await tenantKeyProblems(t.db, 'scratch_bad')).toEqual([
      'scratch_bad: primary key scratch_bad_pkey (id) lacks tenant_id',
      'scratch_bad: unique scratch_bad_ref_key (ref) lacks tenant_id',
      'scratch_bad.seq takes its values from a table-wide sequence',
    ]);
    expect(await tenantKeyProblems(t.db, 'scratch_untenanted')).toEqual(['scratch_untenanted has no tenant_id column']);
  } finally {
    await sql`drop table scratch_bad, scratch_untenanted`.execute(t.db);
  }
});

it('prints the statements that distribute the schema in ARCHITECTURE.md', () => {
  const doc = readFileSync(new URL('../../ARCHITECTURE.md', import.meta.url), 'utf8');
  for (const statement of citusStatements()) expect(doc).toContain(statement);
});
