/**
 * `accrue demo --serve`: after the demo's months, the product keeps running on the demo's books —
 * the HTTP API (webhooks, the Stripe App API, the admin API), the workers and the daily tick, the
 * Stripe fake and the QuickBooks fake — until the process is stopped, so `accrue sync`,
 * `accrue reconcile`, the admin API and the App API can be tried on live demo data.
 *
 * Everything another terminal needs is printed and written to `serve.env` in the demo's folder:
 * the variables that point `accrue` at the same books, fakes and encryption key.
 */
import { once } from 'node:events';
import { chmod, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Stripe from 'stripe';
import { APP_HEADERS, plainSignedPayload } from '../../shared/api/app.ts';
import { createAdminKey } from '../admin/keys.ts';
import { buildServer } from '../app/server.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import { displayPath } from './books.ts';

/** The Dashboard user the printed App API example signs for. */
const DEMO_APP_USER = 'usr_accrue_demo';

export interface DemoServeOptions {
  /** Port for the API (0: any free port). */
  port: number;
  /** Called once serving starts; resolves when it should stop (the CLI waits for Ctrl-C / SIGTERM). */
  until(): Promise<unknown>;
  /** Called once everything listens, with what to tell the person at the terminal. */
  onReady(info: DemoServeInfo): void;
}

export interface DemoServeInfo {
  apiUrl: string;
  /** An operator key for the admin API, made for this run. */
  adminKey: string;
  /** Lines to print: URLs, keys and ready-to-run commands. */
  lines: string[];
  envFile: string;
}

/** Serves the demo's books until `opts.until` resolves. `config` already points at the fakes. */
export async function serveDemo(
  config: Config,
  log: Logger,
  demo: { folder: string; tenant: string; env: Record<string, string>; stripeUrl: string; qboUrl: string },
  opts: DemoServeOptions,
): Promise<void> {
  const app = await buildServer({ config, log, workers: true });
  const server = app.http.listen(opts.port, '127.0.0.1');
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([e]) => {
        throw e;
      }),
    ]);
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { key } = await createAdminKey(app.ctx.db, { name: 'demo', role: 'operator', createdBy: 'demo' });
    // Absolute, so the file works from any folder.
    const folder = demo.env.ACCRUE_DATA_DIR ? { ACCRUE_DATA_DIR: demo.folder } : {};
    const env = { ...demo.env, ...folder, ...cliEnvironment(config) };
    const envFile = join(demo.folder, 'serve.env');
    await writeFile(
      envFile,
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    await chmod(envFile, 0o600);
    opts.onReady({ apiUrl, adminKey: key, envFile, lines: describe(apiUrl, key, config, demo, displayPath(envFile)) });
    await opts.until();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    await app.close();
  }
}

/** The variables `accrue sync` and `accrue reconcile` need to reach the fakes and decrypt the tokens. */
function cliEnvironment(config: Config): Record<string, string> {
  const env: Record<string, string | undefined> = {
    STRIPE_SECRET_KEY: config.STRIPE_SECRET_KEY,
    STRIPE_API_BASE: config.STRIPE_API_BASE,
    QBO_CLIENT_ID: config.QBO_CLIENT_ID,
    QBO_CLIENT_SECRET: config.QBO_CLIENT_SECRET,
    QBO_REDIRECT_URI: config.QBO_REDIRECT_URI,
    QBO_API_BASE: config.QBO_API_BASE,
    QBO_OAUTH_BASE: config.QBO_OAUTH_BASE,
    ACCRUE_ENCRYPTION_KEY: config.ACCRUE_ENCRYPTION_KEY,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function describe(
  apiUrl: string,
  adminKey: string,
  config: Config,
  demo: { tenant: string; stripeUrl: string; qboUrl: string },
  envFile: string,
): string[] {
  const appSecret = config.STRIPE_APP_SECRET[0]!;
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload: plainSignedPayload(DEMO_APP_USER, demo.tenant),
    secret: appSecret,
  });
  return [
    `Serving the demo's books until Ctrl-C:`,
    `  API             ${apiUrl}  (health: ${apiUrl}/healthz)`,
    `  Stripe webhooks ${apiUrl}/webhooks/stripe  (signing secret ${config.STRIPE_WEBHOOK_SECRET[0]})`,
    `  Admin API       ${apiUrl}/admin  (operator key below; OpenAPI at ${apiUrl}/admin/openapi.json)`,
    `  App API         ${apiUrl}/api/app  (Stripe App signing secret ${appSecret})`,
    `  Stripe fake     ${demo.stripeUrl}  (key ${config.STRIPE_SECRET_KEY})`,
    `  QuickBooks fake ${demo.qboUrl}`,
    ``,
    `Try, in another terminal (the variables are in ${envFile}):`,
    `  set -a; . ${envFile}; set +a`,
    `  npx accrue sync --tenant ${demo.tenant}`,
    `  npx accrue reconcile --tenant ${demo.tenant}`,
    `  curl -H "Authorization: Bearer ${adminKey}" ${apiUrl}/admin/tenants`,
    `  curl -H "${APP_HEADERS.signature}: ${signature}" -H "${APP_HEADERS.userId}: ${DEMO_APP_USER}" \\`,
    `       -H "${APP_HEADERS.accountId}: ${demo.tenant}" ${apiUrl}/api/app/sync/status`,
    `  (the App API signature is valid for 5 minutes, as Stripe's are)`,
  ];
}
