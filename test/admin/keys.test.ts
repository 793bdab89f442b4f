/**
 * Proves the staff keys and the `accrue admin` command: a created key is printed once and only
 * its SHA-256 hash and prefix are stored; it authenticates until revoked; a wrong secret with a
 * right prefix does not; revoking twice is a conflict; the CLI's create-key, list-keys and
 * revoke-key work against a real database and never print a stored key again. Also proves the
 * redaction rules the API and audit log rely on.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateAdminKey, createAdminKey, hashKey, prefixOf, revokeAdminKey } from '../../backend/admin/keys.ts';
import { REDACTED, redactSecrets } from '../../backend/admin/redact.ts';
import { adminCommand } from '../../backend/cli/admin.ts';
import { runCommand } from '../../backend/cli/framework.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const cmd = adminCommand({
    open: async () => ({ db: t.db, close: async () => undefined }),
    out: (s) => void (out += s),
  });
  const code = await runCommand(
    cmd,
    args,
    (s) => void (out += s),
    (s) => void (err += s),
  );
  return { code, out, err };
}

describe('admin keys', () => {
  it('stores only the hash and prefix, authenticates the key, and refuses it once revoked', async () => {
    const { key, record } = await createAdminKey(t.db, { name: 'Ada', role: 'operator', createdBy: 'test' });
    expect(prefixOf(key)).toBe(record.prefix);
    const stored = await sql<{
      row: string;
    }>`select row_to_json(k)::text as row from admin_keys k where prefix = ${record.prefix}`.execute(t.db);
    expect(stored.rows[0]!.row).not.toContain(key.slice(record.prefix.length + 1));
    expect(stored.rows[0]!.row).toContain(hashKey(key));
    const ok = await authenticateAdminKey(t.db, key);
    expect(ok).toMatchObject({ ok: true, key: { name: 'Ada', role: 'operator' } });
    const wrongSecret = `${record.prefix}_${'A'.repeat(43)}`;
    expect(await authenticateAdminKey(t.db, wrongSecret)).toEqual({
      ok: false,
      reason: 'unknown',
      prefix: record.prefix,
    });
    expect(await authenticateAdminKey(t.db, 'Bearer nonsense')).toMatchObject({ ok: false, reason: 'malformed' });
    await revokeAdminKey(t.db, record.prefix);
    expect(await authenticateAdminKey(t.db, key)).toMatchObject({ ok: false, reason: 'revoked' });
    await expect(revokeAdminKey(t.db, record.prefix)).rejects.toMatchObject({ code: 'conflict' });
    await expect(revokeAdminKey(t.db, 'aak_00000000')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('draws a different key and prefix every time', async () => {
    const keys = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createAdminKey(t.db, { name: `k${i}`, role: 'viewer', createdBy: 'test' })),
    );
    expect(new Set(keys.map((k) => k.key)).size).toBe(20);
    expect(new Set(keys.map((k) => k.record.prefix)).size).toBe(20);
    for (const k of keys) expect(k.key).toMatch(/^aak_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a bad name or role', async () => {
    await expect(createAdminKey(t.db, { name: '  ', role: 'viewer', createdBy: 'x' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(createAdminKey(t.db, { name: 'x', role: 'root' as 'viewer', createdBy: 'x' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });
});

describe('accrue admin', () => {
  it('creates a key and prints it once, lists keys without it, and revokes by prefix', async () => {
    const created = await cli(['create-key', '--name', 'Jane Support', '--role', 'operator', '--by', 'lead']);
    expect(created.code).toBe(0);
    const key = /(aak_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43})/.exec(created.out)?.[1];
    expect(key).toBeDefined();
    const prefix = prefixOf(key!)!;
    expect((await authenticateAdminKey(t.db, key!)).ok).toBe(true);

    const listed = await cli(['list-keys']);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(prefix);
    expect(listed.out).toContain('Jane Support');
    expect(listed.out).not.toContain(key!);

    const revoked = await cli(['revoke-key', prefix]);
    expect(revoked.code).toBe(0);
    expect((await authenticateAdminKey(t.db, key!)).ok).toBe(false);
    expect((await cli(['list-keys'])).out).toMatch(new RegExp(`${prefix}\\s+operator\\s+revoked`));
    expect((await cli(['revoke-key', prefix])).code).toBe(4);
  });

  it('exits 2 on bad usage', async () => {
    expect((await cli([])).code).toBe(2);
    expect((await cli(['create-key', '--name', 'x'])).code).toBe(2);
    expect((await cli(['create-key', '--name', 'x', '--role', 'admin'])).code).toBe(2);
    expect((await cli(['revoke-key'])).code).toBe(2);
    expect((await cli(['revoke-key', 'not-a-prefix'])).code).toBe(2);
  });
});

describe('redaction', () => {
  it('replaces secret-named fields at any depth and credential-shaped values anywhere', () => {
    const out = redactSecrets({
      refresh_token: 'r',
      nested: { access_token: 'a', list: [{ client_secret: 's' }, 'sk_live_abc', 'whsec_x', 'plain'] },
      Authorization: 'Bearer x',
      amount: 10n,
      when: new Date(0),
      idempotency_key: 'kept',
    });
    expect(out).toEqual({
      refresh_token: REDACTED,
      nested: { access_token: REDACTED, list: [{ client_secret: REDACTED }, REDACTED, REDACTED, 'plain'] },
      Authorization: REDACTED,
      amount: '10',
      when: '1970-01-01T00:00:00.000Z',
      idempotency_key: 'kept',
    });
  });
});
