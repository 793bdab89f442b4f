/**
 * backend/db/schema.sql is the schema the migrations produce: regenerated from this file's freshly
 * migrated database with the same code `npm run db:schema` runs, it must match the checked-in file.
 * And the file stands on its own: loaded into an empty database, it gives back the same schema.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { schemaText, type Queryable } from '../../backend/db/schema-text.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const SCHEMA_FILE = new URL('../../backend/db/schema.sql', import.meta.url);
const OUT_OF_DATE = 'backend/db/schema.sql is out of date: run `npm run db:schema` and commit the result';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.close();
});

async function withClient<T>(pool: pg.Pool, work: (client: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await work(client);
  } finally {
    client.release();
  }
}

describe('backend/db/schema.sql', () => {
  it('is the schema of a freshly migrated database', async () => {
    const generated = await withClient(database.pool, schemaText);
    expect(generated, OUT_OF_DATE).toBe(readFileSync(SCHEMA_FILE, 'utf8'));
  });

  it('loads into an empty database and gives back the same schema', async () => {
    const checkedIn = readFileSync(SCHEMA_FILE, 'utf8');
    // The global teardown drops every database whose name carries the run id.
    const name = `accrue_t_${inject('runId')}_load_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
    await admin.connect();
    try {
      await admin.query(`create database "${name}"`);
    } finally {
      await admin.end();
    }
    const url = new URL(inject('adminDatabaseUrl'));
    url.pathname = `/${name}`;
    const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
    try {
      const loaded = await withClient(pool, async (client) => {
        await client.query(checkedIn);
        return schemaText(client);
      });
      expect(loaded).toBe(checkedIn);
    } finally {
      await pool.end();
    }
  });
});
