/**
 * A fresh, migrated database for one test file, cloned from the run's template.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPool, kyselyFor, type Db } from '../../backend/db/database.ts';

export interface TestDatabase {
  db: Db;
  pool: pg.Pool;
  url: string;
  name: string;
  close(): Promise<void>;
}

/** Attempts to clone the template while another file is cloning it too. */
const CLONE_ATTEMPTS = 20;

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminDatabaseUrl');
  const template = inject('templateDatabase');
  const name = `accrue_t_${inject('runId')}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (let i = 0; ; i++) {
      try {
        await admin.query(`create database "${name}" template "${template}"`);
        break;
      } catch (e) {
        // "source database is being accessed by other users": another clone is in progress.
        if ((e as { code?: string }).code !== '55006' || i >= CLONE_ATTEMPTS) throw e;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 8);
  const db = kyselyFor(pool);
  return {
    db,
    pool,
    url: url.toString(),
    name,
    async close() {
      await db.destroy();
    },
  };
}
