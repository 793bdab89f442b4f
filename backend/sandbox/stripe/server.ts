/**
 * A fake of the Stripe API on 127.0.0.1 that the real `stripe` npm client talks to. It serves the
 * read endpoints Accrue uses, per connected account (`Stripe-Account`), with Stripe's error
 * envelope (`errors.ts`), list pagination, `created` filters and paged invoice/credit-note lines
 * (`listing.ts`, `params.ts`), `expand[]` (`expand.ts`), and injectable 429/5xx faults. Objects
 * live in the same `StripeObjectStore` the memory reader uses. The sandbox's README lists what it
 * reproduces and what it does not.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isStripeObject } from '../../stripe/reader.ts';
import { closeOnSignal, flag } from '../cli.ts';
import { authorize, errorBody, faultError, invalid, type StripeFault } from './errors.ts';
import { parseStripeParams } from './params.ts';
import { route } from './routes.ts';
import { StripeObjectStore } from './store.ts';

export { parseStripeParams } from './params.ts';
export type { StripeFault } from './errors.ts';

/** The version the fake renders when a request names none (stripe-node 23 always names one). */
export const FAKE_API_VERSION = '2026-10-28.endive';

/** Requests without `Stripe-Account` act on the platform's own account, filed under this name. */
export const PLATFORM_ACCOUNT = 'acct_platform';

/** A body larger than this is refused; our reads send none, and a runaway test should fail fast. */
const REQUEST_BODY_MAX_BYTES = 1_000_000;

export interface FakeRequest {
  method: string;
  path: string;
  query: string;
  account: string | null;
  status: number;
}

export interface StripeFake {
  url: string;
  port: number;
  /** Store or replace an object (any of the kinds above) as it currently is, for an account. */
  put(account: string, object: { id: string; object: string } & Record<string, unknown>): void;
  /** Load the lines of a replay file: non-event objects go to `defaultAccount`; event data.objects are stored too (an explicitly given object wins over event snapshots; later snapshots win over earlier ones). */
  load(lines: unknown[], defaultAccount: string): void;
  inject(fault: { status: 429 | 500 | 503; count: number; path?: RegExp; rateLimitedReason?: string }): void;
  requests: FakeRequest[]; // for assertions
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > REQUEST_BODY_MAX_BYTES) throw invalid('Request body too large', undefined, undefined, 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The headers every answer carries: a request id, the API version asked for, and the account acted on. */
function responseHeaders(req: IncomingMessage, requestId: string, account: string | null): Record<string, string> {
  const versionHeader = req.headers['stripe-version'];
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Request-Id': requestId,
    'Stripe-Version': typeof versionHeader === 'string' && versionHeader ? versionHeader : FAKE_API_VERSION,
  };
  if (account) headers['Stripe-Account'] = account;
  return headers;
}

/**
 * Starts the fake on 127.0.0.1, on a random free port unless `port` is given. With `apiKey`, only
 * that key is accepted; otherwise any `sk_`/`rk_` test or live key is.
 */
export async function startStripeFake(opts: { apiKey?: string; port?: number } = {}): Promise<StripeFake> {
  const store = new StripeObjectStore();
  const faults: StripeFault[] = [];
  const requests: FakeRequest[] = [];
  let requestCounter = 0;

  function takeFault(path: string): StripeFault | null {
    const fault = faults.find((f) => f.count > 0 && (!f.path || f.path.test(path)));
    if (!fault) return null;
    fault.count -= 1;
    return fault;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = `req_fake${String(++requestCounter).padStart(10, '0')}`;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const accountHeader = req.headers['stripe-account'];
    const account = typeof accountHeader === 'string' && accountHeader ? accountHeader : null;
    const headers = responseHeaders(req, requestId, account);
    let status = 200;
    let body: unknown;
    try {
      const rawBody = await readBody(req);
      authorize(req.headers.authorization ?? '', opts.apiKey);
      const fault = takeFault(url.pathname);
      if (fault) throw faultError(fault);
      const query = url.search.replace(/^\?/, '');
      const params = parseStripeParams(method === 'GET' || method === 'DELETE' ? query : rawBody);
      if (method === 'POST' && typeof req.headers['idempotency-key'] === 'string')
        headers['Idempotency-Key'] = req.headers['idempotency-key'];
      body = route(store, method, url.pathname, params, account ?? PLATFORM_ACCOUNT);
    } catch (err) {
      const error = errorBody(err, requestId);
      status = error.status;
      Object.assign(headers, error.headers);
      body = error.body;
    }
    requests.push({ method, path: url.pathname, query: url.search.replace(/^\?/, ''), account, status });
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    put(account, object) {
      if (!isStripeObject(object)) throw new Error('put() needs an object with string id and object');
      store.put(account, object);
    },
    load(lines, defaultAccount) {
      store.load(lines, defaultAccount);
    },
    inject(fault) {
      if (!Number.isInteger(fault.count) || fault.count < 1) throw new Error('inject() needs a positive integer count');
      faults.push({ ...fault });
    },
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * CLI for the demo: serves a replay file, or a generated sample business, until interrupted.
 * `node bin/run-ts.js backend/sandbox/stripe/server.ts [--port 12111] [--seed 42 | --replay f.jsonl] [--account acct_…]`
 */
async function main(argv: string[]): Promise<void> {
  const port = flag(argv, 'port') ? Number(flag(argv, 'port')) : 12_111;
  const fake = await startStripeFake({ port });
  const replayPath = flag(argv, 'replay');
  let account = flag(argv, 'account') ?? 'acct_1SampleBusiness00';
  if (replayPath) {
    const lines = readFileSync(replayPath, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as unknown);
    fake.load(lines, account);
    console.error(`loaded ${lines.length} replay lines from ${replayPath} into ${account}`);
  } else {
    const { generateBusiness } = await import('./business.ts');
    const seed = Number(flag(argv, 'seed') ?? 20_251_121);
    const business = generateBusiness({ seed, account });
    account = business.account;
    fake.load(business.replay, account);
    console.error(`SEED=${seed}: ${business.objects.length} objects, ${business.events.length} events in ${account}`);
  }
  console.error(`Stripe fake listening on ${fake.url} (STRIPE_API_BASE=${fake.url})`);
  closeOnSignal(() => fake.close());
}

if (import.meta.url === `file://${process.argv[1]}`) void main(process.argv.slice(2));
