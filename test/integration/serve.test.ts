/**
 * Proves the process level of the foundation: `accrue serve` with no DATABASE_URL starts an
 * embedded PostgreSQL in the data folder and answers /readyz; a second process (the CLI) reuses
 * that running server; SIGTERM stops both cleanly; data survives a restart; a malformed
 * variable stops the process with one line naming it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import Stripe from 'stripe';
import { afterAll, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'accrue.js');
const dataDir = mkdtempSync(join(tmpdir(), 'accrue-serve-'));
// mkdtemp makes the folder private; the embedded server runs as the postgres user and must reach it.
chmodSync(dataDir, 0o755);
const SECRET = 'whsec_serve_test';
const children: ChildProcess[] = [];

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e.DATABASE_URL;
  delete e.STRIPE_SECRET_KEY;
  return { ...e, ACCRUE_DATA_DIR: dataDir, STRIPE_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'info', ...extra };
}

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

async function startServe(port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: env({ PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.status === 200) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not become ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => out };
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  return child.exitCode;
}

function postgresPid(): number | null {
  const f = join(dataDir, 'pg', 'postmaster.pid');
  return existsSync(f) ? Number(readFileSync(f, 'utf8').split('\n')[0]) : null;
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

it('serves /readyz on the embedded database, shares it with the CLI, stops cleanly and keeps data', async () => {
  const port = await freePort();
  const { child, output } = await startServe(port);
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  expect(output()).toMatch(/notConfigured/);
  expect(output()).toMatch(/STRIPE_SECRET_KEY/);

  const payload = JSON.stringify({
    id: 'evt_serve_1',
    object: 'event',
    type: 'account.application.authorized',
    account: 'acct_servetest',
    livemode: false,
    created: 1767225600,
    data: { object: { id: 'ca_1', object: 'application' } },
  });
  const header = new Stripe('sk_test_x').webhooks.generateTestHeaderString({ payload, secret: SECRET });
  const hook = await fetch(`http://127.0.0.1:${port}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
    body: payload,
  });
  expect(hook.status).toBe(200);

  // A second process while the server runs: reuses the running embedded server.
  const cli = spawnSync(process.execPath, [bin, 'tenants'], { env: env(), encoding: 'utf8' });
  expect(cli.status).toBe(0);
  expect(cli.stdout).toMatch(/acct_servetest\s+test\s+active/);
  expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

  const pid = postgresPid();
  expect(pid).toBeGreaterThan(0);
  expect(await stop(child)).toBe(0);
  expect(() => process.kill(pid!, 0)).toThrow(); // PostgreSQL is gone too

  const again = await startServe(port);
  const after = spawnSync(process.execPath, [bin, 'tenants'], { env: env(), encoding: 'utf8' });
  expect(after.stdout).toMatch(/acct_servetest/);
  expect(await stop(again.child)).toBe(0);
}, 180_000);

it('stops with one line naming a malformed variable', () => {
  const r = spawnSync(process.execPath, [bin, 'serve'], { env: env({ PORT: 'eighty' }), encoding: 'utf8' });
  expect(r.status).not.toBe(0);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/PORT/);
  const key = spawnSync(process.execPath, [bin, 'tenants'], {
    env: env({ STRIPE_SECRET_KEY: 'pk_live_oops' }),
    encoding: 'utf8',
  });
  expect(key.status).not.toBe(0);
  expect(key.stderr).toMatch(/STRIPE_SECRET_KEY/);
  expect(key.stderr).not.toMatch(/pk_live_oops/);
});
