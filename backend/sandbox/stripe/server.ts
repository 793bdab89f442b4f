/**
 * A fake of the Stripe API on 127.0.0.1 that the real `stripe` npm client talks to. It serves the
 * read endpoints Accrue uses, per connected account (`Stripe-Account`), with Stripe's error
 * envelope, list pagination, `created` filters, paged invoice/credit-note lines, `expand[]`, and
 * injectable 429/5xx faults. Objects live in the same `StripeObjectStore` the memory reader uses.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { idOf, isStripeObject, type StripeObject } from '../../stripe/reader.ts';
import { StripeObjectStore } from './store.ts';

/** The version the fake renders when a request names none (stripe-node 23 always names one). */
export const FAKE_API_VERSION = '2026-10-28.endive';

/** Stripe's default and bounds for `limit` on list endpoints. */
const LIST_LIMIT_DEFAULT = 10;
const LIST_LIMIT_MIN = 1;
const LIST_LIMIT_MAX = 100;

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

export interface StripeFault {
  status: 429 | 500 | 503;
  count: number;
  path?: RegExp;
  rateLimitedReason?: string;
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

/** Top-level collections: URL segment → Stripe `object` type. */
const COLLECTIONS: Readonly<Record<string, string>> = {
  invoices: 'invoice',
  invoice_payments: 'invoice_payment',
  charges: 'charge',
  payment_intents: 'payment_intent',
  refunds: 'refund',
  balance_transactions: 'balance_transaction',
  credit_notes: 'credit_note',
  disputes: 'dispute',
  payouts: 'payout',
  invoiceitems: 'invoiceitem',
  customers: 'customer',
  products: 'product',
  prices: 'price',
  events: 'event',
};

type Params = Record<string, unknown>;
type Filter = (object: StripeObject, value: unknown) => boolean;

const fieldEquals =
  (field: string): Filter =>
  (o, v) =>
    idOf(o[field]) === v || o[field] === v;
const boolField =
  (field: string): Filter =>
  (o, v) =>
    String(o[field]) === String(v);

/** Filters each list endpoint accepts beyond pagination, `created` and `expand`. */
const LIST_FILTERS: Readonly<Record<string, Readonly<Record<string, Filter>>>> = {
  invoice: {
    customer: fieldEquals('customer'),
    status: fieldEquals('status'),
    collection_method: fieldEquals('collection_method'),
    subscription: (o, v) => idOf((o.parent as { subscription_details?: { subscription?: unknown } } | null)?.subscription_details?.subscription) === v,
  },
  invoice_payment: { invoice: fieldEquals('invoice'), status: fieldEquals('status'), payment: () => true /* checked in invoicePaymentFilter */ },
  charge: { customer: fieldEquals('customer'), payment_intent: fieldEquals('payment_intent') },
  payment_intent: { customer: fieldEquals('customer') },
  refund: { charge: fieldEquals('charge'), payment_intent: fieldEquals('payment_intent') },
  balance_transaction: { type: fieldEquals('type'), source: fieldEquals('source'), currency: fieldEquals('currency') },
  credit_note: { invoice: fieldEquals('invoice'), customer: fieldEquals('customer') },
  dispute: { charge: fieldEquals('charge'), payment_intent: fieldEquals('payment_intent') },
  payout: { status: fieldEquals('status'), destination: fieldEquals('destination') },
  invoiceitem: { customer: fieldEquals('customer'), invoice: fieldEquals('invoice') },
  customer: { email: fieldEquals('email') },
  product: { active: boolField('active') },
  price: { product: fieldEquals('product'), active: boolField('active'), currency: fieldEquals('currency') },
  event: { type: fieldEquals('type'), types: (o, v) => Array.isArray(v) && v.includes(o.type) },
  customer_balance_transaction: {},
};

/** Expandable fields Stripe leaves out of an object until they apply. */
const OPTIONAL_EXPANDABLE: Readonly<Record<string, ReadonlySet<string>>> = {
  refund: new Set(['failure_balance_transaction']),
  payout: new Set(['failure_balance_transaction']),
};

const INVOICE_PAYMENT_KEYS = new Set(['type', 'payment_intent', 'charge', 'payment_record']);
const PAGINATION_KEYS = new Set(['limit', 'starting_after', 'ending_before', 'expand', 'created']);
const RANGE_KEYS = new Set(['gt', 'gte', 'lt', 'lte']);

/** An error response in Stripe's envelope. */
class FakeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { type: string; message: string; code?: string; param?: string },
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

function invalid(message: string, code?: string, param?: string, status = 400): FakeApiError {
  return new FakeApiError(status, { type: 'invalid_request_error', message, ...(code ? { code } : {}), ...(param ? { param } : {}) });
}

function noSuch(type: string, id: string, param: string, status: number): FakeApiError {
  return invalid(`No such ${type}: '${id}'`, 'resource_missing', param, status);
}

/**
 * Parses Stripe's form/query encoding (`a[b]=1`, `expand[0]=x`, `expand[]=y`) into nested values.
 * Index-or-empty brackets make arrays; everything else makes objects.
 */
export function parseStripeParams(encoded: string): Params {
  const root: Params = {};
  for (const [rawKey, value] of new URLSearchParams(encoded)) {
    const parts = rawKey.split('[').map((p, i) => (i === 0 ? p : p.replace(/\]$/, '')));
    let holder: Record<string, unknown> | unknown[] = root;
    parts.forEach((part, i) => {
      const isLast = i === parts.length - 1;
      const nextIsArray = !isLast && /^\d*$/.test(parts[i + 1] ?? '');
      if (Array.isArray(holder)) {
        const index = part === '' ? holder.length : Number(part);
        if (isLast) holder[index] = value;
        else holder = (holder[index] ??= nextIsArray ? [] : {}) as Record<string, unknown> | unknown[];
      } else {
        if (isLast) holder[part] = value;
        else holder = (holder[part] ??= nextIsArray ? [] : {}) as Record<string, unknown> | unknown[];
      }
    });
  }
  return root;
}

function parseLimit(value: unknown): number {
  if (value === undefined) return LIST_LIMIT_DEFAULT;
  const text = String(value);
  if (!/^-?\d+$/.test(text)) throw invalid(`Invalid integer: ${text}`, 'parameter_invalid_integer', 'limit');
  const n = Number(text);
  if (n < LIST_LIMIT_MIN || n > LIST_LIMIT_MAX) {
    throw invalid(`This value must be between ${LIST_LIMIT_MIN} and ${LIST_LIMIT_MAX}; you passed ${n}.`, 'parameter_invalid_integer', 'limit');
  }
  return n;
}

/** When an object was created: `created`, or `date` for invoice items (which have no `created`). */
function createdOf(o: StripeObject): number {
  if (typeof o.created === 'number') return o.created;
  return o.object === 'invoiceitem' && typeof o.date === 'number' ? o.date : 0;
}

function createdFilter(value: unknown): (created: number) => boolean {
  if (value === undefined) return () => true;
  const asInt = (v: unknown, param: string): number => {
    const text = String(v);
    if (!/^-?\d+$/.test(text)) throw invalid(`Invalid integer: ${text}`, 'parameter_invalid_integer', param);
    return Number(text);
  };
  if (typeof value === 'string') {
    const exact = asInt(value, 'created');
    return (c) => c === exact;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('Invalid created', 'parameter_invalid_integer', 'created');
  const bounds = value as Record<string, unknown>;
  for (const key of Object.keys(bounds)) if (!RANGE_KEYS.has(key)) throw invalid(`Received unknown parameter: created[${key}]`, 'parameter_unknown', `created[${key}]`);
  const gt = bounds.gt === undefined ? null : asInt(bounds.gt, 'created[gt]');
  const gte = bounds.gte === undefined ? null : asInt(bounds.gte, 'created[gte]');
  const lt = bounds.lt === undefined ? null : asInt(bounds.lt, 'created[lt]');
  const lte = bounds.lte === undefined ? null : asInt(bounds.lte, 'created[lte]');
  return (c) => (gt === null || c > gt) && (gte === null || c >= gte) && (lt === null || c < lt) && (lte === null || c <= lte);
}

function expandPaths(params: Params): string[] {
  const e = params.expand;
  if (e === undefined) return [];
  if (typeof e === 'string') return [e];
  if (Array.isArray(e)) return e.filter((x): x is string => typeof x === 'string');
  throw invalid('Invalid array', 'parameter_invalid_array', 'expand');
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

  function authorize(req: IncomingMessage): void {
    const header = req.headers.authorization ?? '';
    let key = '';
    if (header.startsWith('Bearer ')) key = header.slice('Bearer '.length).trim();
    else if (header.startsWith('Basic ')) key = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8').replace(/:.*$/, '');
    if (!key) {
      throw invalid(
        'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').',
        undefined,
        undefined,
        401,
      );
    }
    const acceptable = opts.apiKey ? key === opts.apiKey : /^(sk|rk)_(test|live)_/.test(key);
    if (!acceptable) throw invalid(`Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`, 'api_key_invalid', undefined, 401);
  }

  function takeFault(path: string): StripeFault | null {
    const fault = faults.find((f) => f.count > 0 && (!f.path || f.path.test(path)));
    if (!fault) return null;
    fault.count -= 1;
    return fault;
  }

  function faultError(fault: StripeFault): FakeApiError {
    if (fault.status === 429) {
      return new FakeApiError(
        429,
        { type: 'invalid_request_error', code: 'rate_limit', message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.' },
        { 'Stripe-Rate-Limited-Reason': fault.rateLimitedReason ?? 'global-rate' },
      );
    }
    return new FakeApiError(
      fault.status,
      { type: 'api_error', message: 'An unknown error occurred. Please try again later.' },
      fault.status === 503 ? { 'Stripe-Should-Retry': 'true' } : {},
    );
  }

  /** Replaces expandable ids along `path` (dotted) with the stored objects they name. */
  function expand(account: string, value: unknown, path: string[]): unknown {
    const [head, ...rest] = path;
    if (head === undefined || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => expand(account, v, path));
    const obj = value as Record<string, unknown>;
    if (!(head in obj)) {
      // Stripe checks the path against the type, not the object: an expandable field this object
      // leaves out (a refund that did not fail has no failure_balance_transaction) expands to nothing.
      if (OPTIONAL_EXPANDABLE[String(obj.object)]?.has(head)) return obj;
      throw invalid(`This property cannot be expanded (${head}).`, undefined, 'expand');
    }
    if (rest.length === 0) {
      const id = obj[head];
      if (typeof id === 'string') obj[head] = store.getAny(account, id) ?? id;
      return obj;
    }
    obj[head] = expand(account, obj[head], rest);
    return obj;
  }

  function applyExpand(account: string, object: StripeObject, paths: string[], listPrefix: boolean): StripeObject {
    for (const p of paths) {
      const segments = p.split('.');
      if (listPrefix) {
        if (segments[0] !== 'data') continue; // handled by the list wrapper
        segments.shift();
      }
      expand(account, object, segments);
    }
    return object;
  }

  /** One page of an ordered list, cursors resolved against `positionOf`. */
  function page(
    account: string,
    ordered: readonly StripeObject[],
    params: Params,
    url: string,
    cursorPosition: (id: string, param: string) => number,
    positionOfItem: (o: StripeObject, index: number) => number,
    keep: (o: StripeObject) => boolean,
  ): Record<string, unknown> {
    const limit = parseLimit(params.limit);
    const after = params.starting_after;
    const before = params.ending_before;
    if (after !== undefined && before !== undefined) {
      throw invalid('You may only specify one of these parameters: ending_before, starting_after.', 'parameters_exclusive', 'ending_before');
    }
    const positioned = ordered.map((o, i) => ({ o, pos: positionOfItem(o, i) })).filter(({ o }) => keep(o));
    let data: StripeObject[];
    let hasMore: boolean;
    if (typeof after === 'string' && after !== '') {
      const at = cursorPosition(after, 'starting_after');
      const rest = positioned.filter((x) => x.pos > at);
      data = rest.slice(0, limit).map((x) => x.o);
      hasMore = rest.length > limit;
    } else if (typeof before === 'string' && before !== '') {
      const at = cursorPosition(before, 'ending_before');
      const rest = positioned.filter((x) => x.pos < at);
      data = rest.slice(Math.max(0, rest.length - limit)).map((x) => x.o);
      hasMore = rest.length > limit;
    } else {
      data = positioned.slice(0, limit).map((x) => x.o);
      hasMore = positioned.length > limit;
    }
    const expandList = expandPaths(params);
    return { object: 'list', data: data.map((o) => applyExpand(account, store.render(account, o), expandList, true)), has_more: hasMore, url };
  }

  function checkKnownParams(type: string, params: Params, extra: readonly string[] = []): void {
    const allowed = LIST_FILTERS[type] ?? {};
    for (const key of Object.keys(params)) {
      if (PAGINATION_KEYS.has(key) || key in allowed || extra.includes(key)) continue;
      throw invalid(`Received unknown parameter: ${key}`, 'parameter_unknown', key);
    }
  }

  function invoicePaymentFilter(params: Params): (o: StripeObject) => boolean {
    const payment = params.payment;
    if (payment === undefined) return () => true;
    if (typeof payment !== 'object' || payment === null || Array.isArray(payment)) throw invalid('Invalid hash', 'parameter_invalid_hash', 'payment');
    const p = payment as Record<string, unknown>;
    for (const key of Object.keys(p)) if (!INVOICE_PAYMENT_KEYS.has(key)) throw invalid(`Received unknown parameter: payment[${key}]`, 'parameter_unknown', `payment[${key}]`);
    if (typeof p.type !== 'string') throw invalid('Missing required param: payment[type].', 'parameter_missing', 'payment[type]');
    return (o) => {
      const actual = (o.payment ?? {}) as Record<string, unknown>;
      if (actual.type !== p.type) return false;
      for (const key of ['payment_intent', 'charge', 'payment_record']) {
        if (p[key] !== undefined && idOf(actual[key]) !== p[key]) return false;
      }
      return true;
    };
  }

  function listCollection(
    account: string,
    type: string,
    params: Params,
    url: string,
    scope: (o: StripeObject) => boolean = () => true,
  ): Record<string, unknown> {
    checkKnownParams(type, params);
    const filters = LIST_FILTERS[type] ?? {};
    const inCreated = createdFilter(params.created);
    const paymentFilter = type === 'invoice_payment' ? invoicePaymentFilter(params) : () => true;
    const keep = (o: StripeObject): boolean =>
      inCreated(createdOf(o)) &&
      paymentFilter(o) &&
      Object.entries(filters).every(([key, f]) => params[key] === undefined || f(o, params[key]));
    const ordered = store.peekList(account, type).filter(scope);
    const index = new Map(ordered.map((o, i) => [o.id, i]));
    return page(
      account,
      ordered,
      params,
      url,
      (id, param) => {
        const i = index.get(id);
        if (i === undefined) throw noSuch(type, id, param, 400);
        return i;
      },
      (_o, i) => i,
      keep,
    );
  }

  function listLines(account: string, type: string, documentId: string, params: Params, url: string): Record<string, unknown> {
    checkKnownParams('line', params);
    if (params.created !== undefined) throw invalid('Received unknown parameter: created', 'parameter_unknown', 'created');
    const lines = store.lines(account, type, documentId);
    if (!lines) throw noSuch(type, documentId, 'id', 404);
    if (store.linesIncomplete(account, documentId)) {
      // Not something Stripe does: the fake was given only the first page of this document.
      throw new FakeApiError(500, { type: 'api_error', message: `Stripe fake: ${type} ${documentId} was loaded from a first-page snapshot only; load its full lines (the object, or its line_item objects)` });
    }
    const index = new Map(lines.map((l, i) => [l.id, i]));
    const label = type === 'invoice' ? 'Invoice' : 'Credit note';
    return page(
      account,
      lines,
      params,
      url,
      (id, param) => {
        const i = index.get(id);
        if (i === undefined) throw invalid(`${label} ${documentId} does not have a line item ${id}`, 'resource_missing', param);
        return i;
      },
      (_o, i) => i,
      () => true,
    );
  }

  function retrieve(account: string, type: string, id: string, params: Params): StripeObject {
    for (const key of Object.keys(params)) if (key !== 'expand') throw invalid(`Received unknown parameter: ${key}`, 'parameter_unknown', key);
    const found = store.get(account, type, id);
    if (!found) throw noSuch(type, id, 'id', 404);
    return applyExpand(account, found, expandPaths(params), false);
  }

  function route(method: string, path: string, params: Params, account: string): unknown {
    const unrecognized = (): FakeApiError =>
      invalid(`Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`, undefined, undefined, 404);
    if (method !== 'GET') throw unrecognized();
    const segments = path.split('/').slice(1).map(decodeURIComponent);
    if (segments[0] !== 'v1') throw unrecognized();
    const [, collection, id, sub, subId, ...extra] = segments;
    if (collection === undefined || extra.length > 0) throw unrecognized();
    const type = COLLECTIONS[collection];
    if (!type) throw unrecognized();
    if (id === undefined) return listCollection(account, type, params, path);
    if (sub === undefined) return retrieve(account, type, id, params);
    if (sub === 'lines' && subId === undefined && (type === 'invoice' || type === 'credit_note')) {
      return listLines(account, type, id, params, path);
    }
    if (type === 'customer' && sub === 'balance_transactions') {
      if (!store.get(account, 'customer', id)) throw noSuch('customer', id, 'customer', 404);
      if (subId === undefined) {
        return listCollection(account, 'customer_balance_transaction', params, path, (t) => idOf(t.customer) === id);
      }
      const txn = retrieve(account, 'customer_balance_transaction', subId, params);
      if (idOf(txn.customer) !== id) throw noSuch('customer_balance_transaction', subId, 'id', 404);
      return txn;
    }
    throw unrecognized();
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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = `req_fake${String(++requestCounter).padStart(10, '0')}`;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const accountHeader = req.headers['stripe-account'];
    const account = typeof accountHeader === 'string' && accountHeader ? accountHeader : null;
    const versionHeader = req.headers['stripe-version'];
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Request-Id': requestId,
      'Stripe-Version': typeof versionHeader === 'string' && versionHeader ? versionHeader : FAKE_API_VERSION,
    };
    if (account) headers['Stripe-Account'] = account;
    let status = 200;
    let body: unknown;
    try {
      const rawBody = await readBody(req);
      authorize(req);
      const fault = takeFault(url.pathname);
      if (fault) throw faultError(fault);
      const query = url.search.replace(/^\?/, '');
      const params = parseStripeParams(method === 'GET' || method === 'DELETE' ? query : rawBody);
      if (method === 'POST' && typeof req.headers['idempotency-key'] === 'string') headers['Idempotency-Key'] = req.headers['idempotency-key'];
      body = route(method, url.pathname, params, account ?? PLATFORM_ACCOUNT);
    } catch (err) {
      if (err instanceof FakeApiError) {
        status = err.status;
        Object.assign(headers, err.headers);
        const code = err.body.code;
        body = {
          error: {
            ...err.body,
            ...(code ? { doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}` } : {}),
            request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}?t=0`,
          },
        };
      } else {
        status = 500;
        body = { error: { type: 'api_error', message: `Fake failure: ${(err as Error).message}` } };
      }
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
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const port = arg('port') ? Number(arg('port')) : 12_111;
  const fake = await startStripeFake({ port });
  const replayPath = arg('replay');
  let account = arg('account') ?? 'acct_1SampleBusiness00';
  if (replayPath) {
    const lines = readFileSync(replayPath, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
    fake.load(lines, account);
    console.error(`loaded ${lines.length} replay lines from ${replayPath} into ${account}`);
  } else {
    const { generateBusiness } = await import('./business.ts');
    const seed = Number(arg('seed') ?? 20_251_121);
    const business = generateBusiness({ seed, account });
    account = business.account;
    fake.load(business.replay, account);
    console.error(`SEED=${seed}: ${business.objects.length} objects, ${business.events.length} events in ${account}`);
  }
  console.error(`Stripe fake listening on ${fake.url} (STRIPE_API_BASE=${fake.url})`);
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) void main(process.argv.slice(2));
