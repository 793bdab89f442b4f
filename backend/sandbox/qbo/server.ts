/**
 * A fake QuickBooks Online on 127.0.0.1, faithful enough that the real `node-quickbooks` and
 * `intuit-oauth` talk to it unchanged (docs/quickbooks.md §10 The sandbox's fidelity; the
 * sandbox's README lists what it reproduces and what it does not). This file starts the server
 * and wires its parts, each the single owner of its state:
 *
 * - `registry.ts` / `realm.ts`: the companies and their objects; `accounts.ts`,
 *   `journal-entries.ts`, `reads.ts` (query, CDC) and `routes.ts` (the API's routes) act on them.
 * - `oauth.ts`: apps, authorization codes, grants and tokens.
 * - `traffic.ts`: metering, throttling, latency and fault injection.
 * - `webhooks.ts`: the queue of accountant changes and their signed delivery.
 * - `controls.ts`: what tests do from outside the API (act as an accountant, inspect the books).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prng as mulberry32 } from '../../../shared/prng.ts';
import { closeOnSignal, flag } from '../cli.ts';
import { handleApi } from './api.ts';
import { accountantControls, inspectionControls } from './controls.ts';
import { systemFault } from './faults.ts';
import { send } from './http.ts';
import { ACCESS_TOKEN_TTL_S, OLD_REFRESH_GRACE_MS, REFRESH_ROTATE_AFTER_MS } from './limits.ts';
import { OAuthServer } from './oauth.ts';
import { RealmRegistry } from './registry.ts';
import { TrafficControl } from './traffic.ts';
import type { FakeQbo, FakeQboOptions } from './types.ts';
import { WebhookOutbox } from './webhooks.ts';

export * from './limits.ts';
export { ACCOUNT_TYPES, DEFAULT_CHART, type SeedAccount } from './accounts.ts';
export type { FakeClock, FakeQbo, FakeQboOptions, FaultMatch, FaultSpec, Json, RealmStats } from './types.ts';
export { cloudEvents, legacyNotification, signWebhook, type WebhookChange } from './webhooks.ts';

/** Starts the fake on 127.0.0.1 (random port unless given). */
export async function startFakeQbo(options: FakeQboOptions = {}, port = 0): Promise<FakeQbo> {
  const clock = options.clock ?? { now_ms: () => Date.now() };
  // One seeded generator for realm ids and response drops, so a seed replays a whole run.
  const rng = mulberry32(options.seed ?? 1);
  const realms = new RealmRegistry(clock, options.unbalancedCode ?? '2300', rng);
  const oauth = new OAuthServer(
    clock,
    {
      rotateAfter_ms: options.refreshRotateAfter_ms ?? REFRESH_ROTATE_AFTER_MS,
      grace_ms: options.oldRefreshGrace_ms ?? OLD_REFRESH_GRACE_MS,
      accessTtl_s: options.accessTokenTtl_s ?? ACCESS_TOKEN_TTL_S,
    },
    () => realms.first(),
  );
  const traffic = new TrafficControl(clock, options, rng);
  const outbox = new WebhookOutbox(clock);
  const services = { clock, realms, oauth, traffic, ignoreRequestIds: options.ignoreRequestIds ?? false };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    (async () => {
      if (await oauth.handle(req, res, url)) return;
      await handleApi(services, req, res, url);
    })().catch((e: unknown) => {
      send(res, 500, systemFault('fake QBO internal error', String(e)));
    });
  });
  // Keep-alive sockets would hold close() open; QuickBooks clients here make short requests.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${addr.port}`,
    async close() {
      traffic.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    registerApp: (app) => oauth.registerApp(app),
    createRealm: (opts) => realms.create(opts),
    issueAccessToken(realmId) {
      realms.get(realmId);
      return oauth.issueAccessToken(realmId);
    },
    expireAccessTokens: (realmId) => oauth.expireAccessTokens(realmId),
    setAuthorizeOutcome: (outcome) => oauth.setAuthorizeOutcome(outcome),
    oauthStats: () => oauth.counters(),
    ...accountantControls(realms, outbox),
    ...inspectionControls(realms),
    injectFault(realmId, fault) {
      realms.get(realmId);
      traffic.injectFault(realmId, fault);
    },
    setDropRate: (realmId, rate) => traffic.setDropRate(realmId, rate),
    setThrottle: (settings) => traffic.setThrottle(settings),
    setLatency: (ms) => traffic.setLatency(ms),
    setWebhookTarget: (target) => outbox.setTarget(target),
    flushWebhooks: () => outbox.flush(),
    pendingWebhookEvents: () => outbox.pending(),
  };
}

/**
 * CLI: serves one empty company until interrupted, with a registered app whose consent page grants
 * it, and prints an access token for direct API calls.
 * `node bin/run-ts.js backend/sandbox/qbo/server.ts [--port 12112] [--client-id …] [--client-secret …] [--redirect-uri …]`
 */
async function main(argv: string[]): Promise<void> {
  const port = flag(argv, 'port') ? Number(flag(argv, 'port')) : 12_112;
  const fake = await startFakeQbo({}, port);
  const clientId = flag(argv, 'client-id') ?? 'accrue-local';
  const clientSecret = flag(argv, 'client-secret') ?? 'accrue-local-secret';
  const redirectUri = flag(argv, 'redirect-uri') ?? 'http://127.0.0.1:3000/oauth/qbo/callback';
  fake.registerApp({ clientId, clientSecret, redirectUris: [redirectUri] });
  const realmId = fake.createRealm({ companyName: 'Sandbox Company' });
  fake.setAuthorizeOutcome({ realmId });
  console.error(`QuickBooks fake listening on ${fake.url} (QBO_API_BASE=${fake.url} QBO_OAUTH_BASE=${fake.url})`);
  console.error(`company ${realmId}; app ${clientId} / ${clientSecret}, redirect ${redirectUri}`);
  console.error(`access token (1 hour): ${fake.issueAccessToken(realmId)}`);
  closeOnSignal(() => fake.close());
}

if (import.meta.url === `file://${process.argv[1]}`) void main(process.argv.slice(2));
