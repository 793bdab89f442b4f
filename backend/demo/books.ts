/**
 * Where the demo keeps its books, so that `accrue` can reach them after the demo.
 *
 * Without DATABASE_URL the demo's books are a data folder of their own, `<ACCRUE_DATA_DIR>/demo`
 * (default `.accrue/demo`): its embedded PostgreSQL in `pg/`, its report in `report.html`. Every
 * command reaches them with `ACCRUE_DATA_DIR=.accrue/demo`, exactly as it reaches any other
 * books, and a merchant's own books in `.accrue` are never touched. With DATABASE_URL the books
 * are the `accrue_demo` database on that server, reached with DATABASE_URL naming it. Each demo
 * run starts these books afresh (the journal is append-only, so "afresh" means a new database).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import pg from 'pg';
import { ensureDatabase } from '../db/database.ts';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import type { Logger } from '../log/logger.ts';

/** The file that marks a folder as the demo's books (and says which tenant they hold). */
export const DEMO_MARKER = 'demo-books.json';
/** The demo's database on a DATABASE_URL server. */
const DEMO_DATABASE = 'accrue_demo';
/** The database name the embedded PostgreSQL serves to every command (see backend/db/database.ts). */
const EMBEDDED_DATABASE = 'accrue';

/**
 * The demo's folder for a data folder: `<dataDir>/demo`, or `dataDir` itself when it already is
 * the demo's folder (someone ran the demo again with ACCRUE_DATA_DIR pointed at the demo's books).
 */
export function demoFolder(dataDir: string): string {
  return existsSync(join(dataDir, DEMO_MARKER)) ? resolve(dataDir) : resolve(dataDir, 'demo');
}

export interface DemoBooks {
  /** The demo database's URL while the demo runs. */
  dbUrl: URL;
  /** The demo's folder (report, marker, embedded PostgreSQL). */
  folder: string;
  /** The environment that points `accrue` at these books. */
  env: Record<string, string>;
  stopServer(): Promise<void>;
}

/** Fresh demo books: the demo database is dropped and created again. */
export async function freshDemoBooks(opts: {
  dataDir: string;
  databaseUrl?: string | undefined;
  log: Logger;
}): Promise<DemoBooks> {
  const folder = demoFolder(opts.dataDir);
  await mkdir(folder, { recursive: true });
  let adminUrl = opts.databaseUrl;
  let name = DEMO_DATABASE;
  let stopServer = async () => {};
  if (!adminUrl) {
    const embedded = await startEmbeddedPostgres({ dataDir: join(folder, 'pg'), log: opts.log });
    adminUrl = embedded.url;
    name = EMBEDDED_DATABASE;
    stopServer = () => embedded.stop();
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
  await ensureDatabase(adminUrl, name);
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${name}`;
  const env: Record<string, string> = opts.databaseUrl
    ? { DATABASE_URL: dbUrl.toString() }
    : { ACCRUE_DATA_DIR: displayPath(folder) };
  return { dbUrl, folder, env, stopServer };
}

/** Writes the marker naming the demo's tenant, so a later command can point to these books. */
export async function markDemoBooks(books: DemoBooks, tenant: string): Promise<void> {
  await writeFile(join(books.folder, DEMO_MARKER), `${JSON.stringify({ tenant }, null, 2)}\n`);
}

/** A path as a person would type it here: relative when under the current folder. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? rel : path;
}
