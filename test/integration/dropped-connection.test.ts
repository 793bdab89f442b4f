/**
 * A connection the server drops while our code holds it (pg_terminate_backend, a failover) must
 * not kill the process: the failure reaches the next query on that client, the pool discards the
 * client, and the pool's next query works. Without the pool's per-client error listener the
 * 'error' event is unhandled and the test run itself fails.
 */
import { afterAll, expect, it } from 'vitest';
import { createPool } from '../../backend/db/database.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let t: TestDatabase | undefined;
afterAll(async () => {
  await t?.close();
});

it('survives the server dropping a checked-out connection', async () => {
  t = await createTestDatabase();
  const pool = createPool(t.url, 2);
  const other = createPool(t.url, 1);
  try {
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    await other.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
    // Give the termination time to reach the client as an 'error' event.
    await new Promise((r) => setTimeout(r, 300));
    await expect(client.query('select 1')).rejects.toThrow();
    client.release(true);
    const after = await pool.query<{ one: number }>('select 1 as one');
    expect(after.rows[0]!.one).toBe(1);
  } finally {
    await other.end();
    await pool.end();
  }
});
