/**
 * `npm run db:schema`: migrates a fresh database and writes its schema to backend/db/schema.sql
 * (see schema-text.ts for what the file holds).
 *
 * The database is a throw-away embedded PostgreSQL, or, when DATABASE_URL is set, a temporary
 * database created on that server and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createPool, kyselyFor } from './database.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { migrateToLatest } from './migrate.ts';
import { schemaText } from './schema-text.ts';

const SCHEMA_FILE = join(dirname(fileURLToPath(import.meta.url)), 'schema.sql');

/** Runs `work` against a database of its own on the server behind `adminUrl`, dropped afterwards. */
async function withScratchDatabase<T>(adminUrl: string, work: (url: string) => Promise<T>): Promise<T> {
  const name = `accrue_schema_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    try {
      return await work(url.toString());
    } finally {
      await admin.query(`drop database if exists "${name}" with (force)`);
    }
  } finally {
    await admin.end();
  }
}

/** Migrates the (empty) database at `url` and returns its schema text. */
async function migratedSchemaText(url: string): Promise<string> {
  const pool = createPool(url, 2);
  const db = kyselyFor(pool);
  try {
    await migrateToLatest(db);
    const client = await pool.connect();
    try {
      return await schemaText(client);
    } finally {
      client.release();
    }
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!adminUrl) {
    const dataDir = join(tmpdir(), `accrue-schema-pg-${process.pid}-${Date.now().toString(36)}`);
    const server = await startEmbeddedPostgres({ dataDir, fast: true, ephemeral: true });
    adminUrl = server.url;
    stop = () => server.stop();
  }
  try {
    const text = await withScratchDatabase(adminUrl, migratedSchemaText);
    writeFileSync(SCHEMA_FILE, text);
    console.log(`wrote ${SCHEMA_FILE}`);
  } finally {
    await stop?.();
  }
}

await main();
