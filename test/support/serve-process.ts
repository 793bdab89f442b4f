/**
 * Real `accrue serve` processes for the crash and multi-process tests: spawn one against a test
 * database, wait until it answers /readyz, sign and post Stripe webhooks to it, and put a delay in
 * front of the Stripe fake so a drain lasts long enough to be killed in the middle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import Stripe from 'stripe';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'accrue.js');
export const WEBHOOK_SECRET = 'whsec_serve_process_test';
const signer = new Stripe('sk_test_signer_only');

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  url: string;
  output(): string;
  /** SIGKILL, then wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM, then wait for the exit; the exit code. */
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

/** Every server this process started and has not seen exit: killed when this process exits. */
const running = new Set<ReturnType<typeof spawn>>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * How long a starting server may take to answer /readyz. A quiet machine starts one in 1–3 s; on
 * this shared 2-core machine with several test runs at once, three servers starting together took
 * over 60 s, and a start that slow is the machine's load, not a fault under test.
 */
export const SERVE_READY_WAIT_MS_MAX = 180_000;

/** Starts `accrue serve` with `args` (e.g. `--role worker`) and `env`; resolves once /readyz answers 200. */
export async function startServe(env: Record<string, string>, args: string[] = []): Promise<ServeProcess> {
  const port = await freePort();
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.DATABASE_URL;
  const child = spawn(process.execPath, [bin, 'serve', '--port', String(port), ...args], {
    env: { ...base, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  running.add(child);
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      running.delete(child);
      r();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + SERVE_READY_WAIT_MS_MAX;
  for (;;) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(
        child.exitCode !== null
          ? `serve exited with code ${child.exitCode} before it was ready:\n${out}`
          : `serve did not become ready within ${SERVE_READY_WAIT_MS_MAX / 1000} s:\n${out}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    port,
    url,
    output: () => out,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      return child.exitCode;
    },
  };
}

/** Posts one event, signed with WEBHOOK_SECRET; the HTTP status. */
export async function postEvent(url: string, event: Stripe.Event): Promise<number> {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  const res = await fetch(`${url}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
    body: payload,
  });
  await res.arrayBuffer();
  return res.status;
}

/** An HTTP proxy on 127.0.0.1 that forwards every request to `target` after `delayMs`; counts what it forwarded. */
export async function slowProxy(
  target: string,
  delayMs: number,
): Promise<{ url: string; forwarded(): number; close(): Promise<void> }> {
  const to = new URL(target);
  let n = 0;
  const server: Server = createServer((req, res) => {
    setTimeout(() => {
      n++;
      const up = request(
        { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded: () => n,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
