/**
 * Opens the database: DATABASE_URL when configured, otherwise the embedded PostgreSQL in the
 * data folder. Owns the pg type parsing rules that keep money and dates exact, and the Kysely
 * instance every query goes through.
 */
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Logger } from '../log/logger.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
import { migrateToLatest } from './migrate.ts';
import type { DB } from './schema.ts';

/**
 * Type parsing for our own pools (not process-wide, so pg-boss keeps the pg defaults it expects):
 * BIGINT (int8) becomes a bigint, because money is stored as bigint minor units and must stay
 * exact; DATE stays a 'YYYY-MM-DD' string, because a JS Date would shift it by the process time
 * zone; NUMERIC stays a string (the default) and is never parsed as a float.
 */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => BigInt(v);
    if (oid === 1082) return (v: string) => v;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as unknown as pg.CustomTypesConfig;

/** A pool with our type parsing. */
export function createPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, types: pgTypes });
  // A connection the server drops while checked out (pg_terminate_backend, a failover, a network
  // cut between two queries) emits 'error' on its client, which the pool listens to only while
  // the client is idle: without a listener that event kills the process. The failure reaches the
  // caller through its next query instead, and the pool discards the broken client on release.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}

/** Pool size: a worker runs a handful of jobs at once; the HTTP side needs a few more. */
const POOL_MAX = 12;

export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;

export interface Database {
  db: Db;
  pool: pg.Pool;
  url: string;
  embedded: EmbeddedPostgres | null;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  log?: Logger | undefined;
  migrate?: boolean;
  poolMax?: number;
}

export function kyselyFor(pool: pg.Pool): Db {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/** Opens (and by default migrates) the configured database. */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  let embedded: EmbeddedPostgres | null = null;
  let url = opts.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: join(opts.dataDir, 'pg'), log: opts.log });
    const accrue = new URL(embedded.url);
    accrue.pathname = '/accrue';
    url = accrue.toString();
    await ensureDatabase(embedded.url, 'accrue');
  }
  const pool = createPool(url, opts.poolMax ?? POOL_MAX);
  pool.on('error', (e) => {
    // 57P01: the server is shutting down (e.g. the embedded server stopping after us); not a failure of ours.
    if ((e as { code?: string }).code === '57P01') opts.log?.debug('database server shut down an idle connection');
    else opts.log?.error({ err: e }, 'idle database connection failed');
  });
  const db = kyselyFor(pool);
  if (opts.migrate !== false) await migrateToLatest(db, opts.log);
  return {
    db,
    pool,
    url,
    embedded,
    async close() {
      await db.destroy();
      await embedded?.stop();
    },
  };
}

/** Creates a database on the server behind `adminUrl` if it does not exist yet. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const r = await c.query('select 1 from pg_database where datname = $1', [name]);
    if (r.rowCount === 0) {
      try {
        await c.query(`create database "${name.replace(/"/g, '')}"`);
      } catch (e) {
        // Another process created it between our check and our create.
        if ((e as { code?: string }).code !== '42P04') throw e;
      }
    }
  } finally {
    await c.end();
  }
}

/** True when the database answers (for /readyz). */
export async function ping(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

/**
 * JSON text for a jsonb column. jsonb cannot hold the NUL character, which Stripe passes through
 * from merchant text (a description, metadata); it is stored as U+FFFD, the Unicode replacement
 * character, instead of refusing the whole object. No amount, id or date can contain it.
 */
export function jsonbText(value: unknown): string {
  const json = JSON.stringify(value);
  if (!json.includes('\\u0000')) return json;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? v.replaceAll('\u0000', '\ufffd') : v));
}
