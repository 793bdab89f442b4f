/**
 * `accrue serve --role web|worker|all`: what one serving process runs. Any number of each role
 * may run against one PostgreSQL; everything they share (the job queue, the QuickBooks budget per
 * company, token refresh, pending OAuth connects) is in the database.
 *
 *  - `web`: the HTTP API only. Webhooks are stored and their processing enqueued; no job runs here.
 *  - `worker`: the job handlers (inbox, release, backfill, QuickBooks sync and reconcile, the daily
 *    tick), the scheduler and pg-boss's supervision (which fails the jobs of dead processes through
 *    their stale heartbeats). Its HTTP port answers only `/healthz` and `/readyz`.
 *  - `all` (default): both, in one process.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import { UsageError } from './framework.ts';

/**
 * Idle keep-alive connections are kept longer than a load balancer's or client's own idle timeout
 * (60 s for the common ones, 4 s for Node's fetch), so the client always closes first and never
 * sends a request on a connection the server is closing at that moment.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export const SERVE_ROLES = ['web', 'worker', 'all'] as const;
export const ROLE_DETAILS =
  'Roles: web serves the HTTP API and enqueues work; worker runs the jobs (its port answers /healthz and /readyz\n' +
  'only); all (default) does both. Run any number of each against one PostgreSQL (DATABASE_URL).';
export type ServeRole = (typeof SERVE_ROLES)[number];

/** The role from `--role` (default `all`); `--no-workers` is the older spelling of `--role web`. */
export function serveRole(values: Record<string, unknown>): ServeRole {
  const given = values.role;
  if (given !== undefined && !SERVE_ROLES.includes(given as ServeRole))
    throw new UsageError(`--role must be one of ${SERVE_ROLES.join(', ')} (got ${JSON.stringify(given)})`);
  if (values['no-workers'] === true) {
    if (given !== undefined && given !== 'web') throw new UsageError('--no-workers can only go with --role web');
    return 'web';
  }
  return (given as ServeRole | undefined) ?? 'all';
}

export interface Serving {
  port: number;
  close(): Promise<void>;
}

/** Starts the role's parts and its HTTP listener on `port`; `close` stops accepting, finishes jobs, closes the pool. */
export async function startServing(opts: {
  config: Config;
  log: Logger;
  role: ServeRole;
  port: number;
}): Promise<Serving> {
  const { config, log, role } = opts;
  let server: Server;
  let closeParts: () => Promise<void>;
  if (role === 'worker') {
    // Imported here, not at the top: `accrue --help` loads this file for the role's help text.
    const [{ openContext }, { createHttpApp }] = await Promise.all([
      import('../app/context.ts'),
      import('../http/server.ts'),
    ]);
    const ctx = await openContext({ config, log, workers: true, schedule: true });
    server = createHttpApp({ db: ctx.db, log }).listen(opts.port, '0.0.0.0');
    closeParts = () => ctx.close();
  } else {
    const { buildServer } = await import('../app/server.ts');
    const app = await buildServer({ config, log, workers: role === 'all' });
    server = app.http.listen(opts.port, '0.0.0.0');
    closeParts = () => app.close();
  }
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  log.info({ port, role, workers: role !== 'web' }, 'accrue is serving');
  return {
    port,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await closeParts();
    },
  };
}
