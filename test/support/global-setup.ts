/**
 * One PostgreSQL for the whole test run: the server behind DATABASE_URL when set, otherwise a
 * throw-away embedded PostgreSQL. A template database is migrated once; each test file clones
 * it (CREATE DATABASE … TEMPLATE), so files never see each other's rows.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createPool, kyselyFor } from '../../backend/db/database.ts';
import { startEmbeddedPostgres } from '../../backend/db/embedded.ts';
import { migrateToLatest } from '../../backend/db/migrate.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    templateDatabase: string;
    runId: string;
  }
}

export default async function setup(project: TestProject) {
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  let adminUrl = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!adminUrl) {
    const pgHandle = await startEmbeddedPostgres({
      dataDir: join(tmpdir(), `accrue-test-pg-${runId}`),
      fast: true,
      ephemeral: true,
    });
    adminUrl = pgHandle.url;
    stop = () => pgHandle.stop();
  }
  const template = `accrue_tmpl_${runId}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${template}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${template}`;
  const pool = createPool(url.toString(), 2);
  const db = kyselyFor(pool);
  await migrateToLatest(db);
  await db.destroy();

  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('templateDatabase', template);
  project.provide('runId', runId);

  return async () => {
    const r = await admin.query(`select datname from pg_database where datname like $1`, [`accrue_%${runId}%`]);
    for (const row of r.rows as { datname: string }[]) {
      await admin.query(`drop database if exists "${row.datname}" with (force)`).catch(() => undefined);
    }
    await admin.end();
    await stop?.();
  };
}
