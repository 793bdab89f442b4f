/**
 * Seeded fuzzing of every public endpoint: at least FUZZ_INPUTS generated requests each to the
 * Stripe webhook (validly signed, over real events with mutated envelopes and objects, and raw
 * hostile texts), the App API (validly signed callers, random routes, ids, queries and bodies),
 * the Admin API (an operator key, random routes, parameters and bodies), the QuickBooks webhook
 * (validly signed, mutated notifications) and the QuickBooks callback. No answer may be a 5xx.
 * Then every tenant's inbox is drained against a Stripe fake holding mutated objects too, and
 * released: nothing is left pending or deferred, and every journal entry balances per currency.
 *
 * FUZZ_SEED picks the run (default 14); a failure prints the seed and the input.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ADMIN_ROUTES } from '../../backend/admin/routes.ts';
import { drainInbox, releaseThrough } from '../../backend/app/process.ts';
import { APP_ROUTES } from '../../shared/api/app.ts';
import { prng } from '../../shared/prng.ts';
import { eventsOf, goldenLines } from '../support/scenario.ts';
import {
  appHeaders,
  intuitSignature,
  plainAppHeaders,
  startHostile,
  stripeSignature,
  unbalancedEntries,
  type Hostile,
} from './hostile-harness.ts';

const SEED = Number(process.env['FUZZ_SEED'] ?? 14);
const FUZZ_INPUTS = 300;
const ACCOUNTS = ['acct_FuzzA', 'acct_FuzzB'];
const LINES = goldenLines([
  'refund-full-with-tax',
  'credit-note-before-payment',
  'invoice-voided',
  'one-time-charge-refund',
  'payout-paid-then-failed',
  'uncollectible-then-paid',
]);
const EVENTS = eventsOf(LINES);
const OBJECTS = LINES.filter((l) => l['object'] !== 'event') as ({ id: string; object: string } & Record<
  string,
  unknown
>)[];

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const STRINGS = [
  '',
  'acct_FuzzA',
  'acct_',
  'evt_1',
  'in_1',
  'usd',
  'XXX',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udc00x',
  '😀',
  '../../etc/passwd',
  "' or 1=1 --",
  '%00',
  '<script>',
  '__proto__',
  'constructor',
  '1e300',
  '-1',
  'NaN',
  'x'.repeat(5_000),
  '2026-02-30',
  '9999-12-31',
];
const NUMBERS = [0, -1, 1, 1.5, 2 ** 31, 2 ** 53, -(2 ** 53), 1e300, -1e300, 1e-300, 123456789];

/** A random JSON value; nests at most `depth` more levels. */
function anyValue(rand: Rand, depth = 3): unknown {
  const r = rand();
  if (r < 0.12) return null;
  if (r < 0.2) return rand() < 0.5;
  if (r < 0.42) return pick(rand, NUMBERS);
  if (r < 0.72 || depth <= 0) return pick(rand, STRINGS);
  if (r < 0.86) return Array.from({ length: Math.floor(rand() * 4) }, () => anyValue(rand, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rand() * 4); i > 0; i--)
    o[pick(rand, [...STRINGS.slice(0, 12), 'id', 'amount'])] = anyValue(rand, depth - 1);
  return o;
}

/** Replaces a random field somewhere inside `obj` (in place) with a random value, or deletes it. */
function mutate(rand: Rand, obj: Record<string, unknown>): void {
  let cur: Record<string, unknown> = obj;
  for (let depth = 0; depth < 4; depth++) {
    const keys = Object.keys(cur);
    if (!keys.length) break;
    const k = pick(rand, keys);
    const child = cur[k];
    if (child && typeof child === 'object' && rand() < 0.5) {
      cur = child as Record<string, unknown>;
      continue;
    }
    if (rand() < 0.15) delete cur[k];
    else cur[k] = anyValue(rand);
    return;
  }
  cur[pick(rand, ['id', 'amount', 'currency', 'lines', 'status', 'x'])] = anyValue(rand);
}

/** encodeURIComponent, but a lone surrogate becomes its (invalid) UTF-8 bytes instead of an exception. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Raw texts no JSON encoder would produce from a valid event. */
function hostileText(rand: Rand, base: string): string {
  return pick(rand, [
    'null',
    '[]',
    '"x"',
    '{',
    `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
    base.replace('"data":', '"data":null,"x":'),
    base.replace(/"id":"([^"]*)"/, '"id":"$1\\u0000"'),
    base.replace(/"id":"([^"]*)"/, '"id":"\\ud800"'),
    base.replace(/"created":\d+/, '"created":1e300'),
    base.replace(/"created":\d+/, '"created":"1767225600"'),
    base.replace(/"created":\d+/, '"created":1767225600.25'),
    base.replace(/"account":"[^"]*"/, '"account":["acct_FuzzA"]'),
    base.replace('"object":"event"', `"object":"event","deep":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`),
  ]);
}

/** Seeded inputs for each endpoint, built before any is sent. */
function webhookBodies(rand: Rand): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < FUZZ_INPUTS; i++) {
    const ev = clone(pick(rand, EVENTS)) as unknown as Record<string, unknown>;
    ev['account'] = pick(rand, ACCOUNTS);
    if (rand() < 0.7) ev['id'] = `${String(ev['id'])}_f${i}`;
    const r = rand();
    if (r < 0.55)
      for (let m = 1 + Math.floor(rand() * 3); m > 0; m--) mutate(rand, ev['data'] as Record<string, unknown>);
    else if (r < 0.8) ev[pick(rand, ['id', 'type', 'created', 'account', 'livemode', 'data'])] = anyValue(rand);
    const text = JSON.stringify(ev);
    bodies.push(r >= 0.9 ? hostileText(rand, text) : text);
  }
  return bodies;
}

/**
 * The answer's status; throws on a 5xx. The one 5xx allowed is 503 `not_configured`, which the App
 * API answers (and the Stripe App's views expect) while a tenant has not connected QuickBooks or
 * its history is still importing: the tenant's setup, not a server failure.
 */
function status(res: request.Response, what: string): number {
  const setup = res.status === 503 && (res.body as { error?: { code?: string } }).error?.code === 'not_configured';
  if (res.status >= 500 && !setup)
    throw new Error(`SEED=${SEED} ${what} answered ${res.status}: ${res.text.slice(0, 300)}`);
  return res.status;
}

const shortened = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…(${s.length})` : s);

let h: Hostile;
const tenantIds: string[] = [];
beforeAll(async () => {
  h = await startHostile();
  const rand = prng(SEED * 7 + 1);
  for (const account of ACCOUNTS) h.stripeFake.load(LINES, account);
  // The second account's Stripe objects are mutated too: processing reads them, not the events.
  for (const o of OBJECTS) {
    if (rand() >= 0.3) continue;
    const m = clone(o);
    for (let k = 1 + Math.floor(rand() * 2); k > 0; k--) mutate(rand, m);
    m.id = o.id;
    m.object = o.object;
    h.stripeFake.put(ACCOUNTS[1]!, m);
  }
});
afterAll(async () => {
  await h?.close();
});

describe(`fuzzing the public endpoints (FUZZ_SEED=${SEED})`, () => {
  it(`Stripe webhook: ${FUZZ_INPUTS} validly signed hostile bodies, no 5xx`, async () => {
    const statuses = new Map<number, number>();
    for (const body of webhookBodies(prng(SEED))) {
      const res = await request(h.http)
        .post('/webhooks/stripe')
        .set('content-type', 'application/json')
        .set('stripe-signature', stripeSignature(body))
        .send(body);
      const s = status(res, `webhook ${shortened(body)}`);
      statuses.set(s, (statuses.get(s) ?? 0) + 1);
      if (s !== 200) expect(res.body.error.code, shortened(body)).toMatch(/^invalid_(event|input)$/);
    }
    // Both outcomes happen: the generator is not all garbage, nor all valid.
    expect(statuses.get(200)).toBeGreaterThan(50);
    expect(statuses.get(400)).toBeGreaterThan(20);
    const tenants = await h.t.db.selectFrom('tenants').select('id').execute();
    tenantIds.push(...tenants.map((t) => t.id.toString()));
    // At least the two accounts; a mutated `livemode` makes that account's other-mode tenant.
    expect(tenantIds.length).toBeGreaterThanOrEqual(ACCOUNTS.length);
  });

  it(`App API: ${FUZZ_INPUTS} random calls by signed callers, no 5xx`, async () => {
    const rand = prng(SEED + 1);
    const routes = Object.values(APP_ROUTES);
    let answered = 0;
    for (let i = 0; i < FUZZ_INPUTS; i++) {
      const id = enc(String(pick(rand, [...STRINGS, 'prod_1', 'in_tax', '1'])));
      const path = `/api/app${pick(rand, routes).replace(':id', id)}`;
      const query = rand() < 0.4 ? `?${pick(rand, ['period', 'limit', 'status', 'after', 'from', 'x'])}=${id}` : '';
      const method = pick(rand, ['get', 'put', 'post', 'delete'] as const);
      const account = rand() < 0.9 ? pick(rand, ACCOUNTS) : pick(rand, ['acct_', `acct_${'Z'.repeat(300)}`, 'x']);
      const headers = rand() < 0.8 ? appHeaders(account) : plainAppHeaders(account);
      let req = request(h.http)[method](`${path}${query}`).set(headers);
      if (method !== 'get') {
        const body = rand() < 0.15 ? pick(rand, ['{', 'null', '[1,', '"\\ud800"']) : JSON.stringify(anyValue(rand, 4));
        req = req.set('content-type', 'application/json').send(body);
      }
      if (status(await req, `${method.toUpperCase()} ${shortened(path + query)}`) < 300) answered++;
    }
    // Some calls get through authentication and parsing to a use case's answer.
    expect(answered).toBeGreaterThan(10);
  });

  it(`Admin API: ${FUZZ_INPUTS} random calls with an operator key, no 5xx`, async () => {
    const rand = prng(SEED + 2);
    let answered = 0;
    const eventIds = (await h.t.db.selectFrom('stripe_events').select('id').limit(20).execute()).map((e) => e.id);
    for (let i = 0; i < FUZZ_INPUTS; i++) {
      const route = pick(rand, ADMIN_ROUTES);
      const param = (name: string) => {
        if (rand() < 0.3) return enc(String(pick(rand, STRINGS)));
        if (name === 'tenantId') return pick(rand, [...tenantIds, '0', '99999999999999999999']);
        if (name === 'eventId') return enc(pick(rand, eventIds.length ? eventIds : ['evt_x']));
        if (name === 'period') return pick(rand, ['2026-03', '2026-13', '1900-01', '2026-01-01']);
        return String(Math.floor(rand() * 5));
      };
      const path = `/admin${route.path.replace(/:(\w+)/g, (_m, name: string) => param(name))}`;
      const shape = (s: z.ZodType | undefined) => Object.keys((s as { shape?: object } | undefined)?.shape ?? {});
      const q = shape(route.query as z.ZodType | undefined);
      const query = q.length && rand() < 0.6 ? `?${pick(rand, q)}=${enc(String(anyValue(rand, 0)))}` : '';
      const auth = rand() < 0.9 ? `Bearer ${h.operatorKey}` : pick(rand, ['', 'Bearer x', 'Basic y']);
      let req = request(h.http)[route.method](`${path}${query}`);
      if (auth) req = req.set('authorization', auth);
      if (route.method !== 'get') {
        const keys = shape(route.body as z.ZodType | undefined);
        const body: Record<string, unknown> = {};
        for (const k of keys) if (rand() < 0.7) body[k] = anyValue(rand, 2);
        req = req.set('content-type', 'application/json').send(rand() < 0.1 ? '{"a":' : JSON.stringify(body));
      }
      if (status(await req, `${route.method.toUpperCase()} ${shortened(path + query)}`) < 300) answered++;
    }
    expect(answered).toBeGreaterThan(10);
  });

  it(`QuickBooks webhook (${FUZZ_INPUTS} validly signed) and callback (${FUZZ_INPUTS}), no 5xx`, async () => {
    const rand = prng(SEED + 3);
    for (let i = 0; i < FUZZ_INPUTS; i++) {
      const notification = {
        eventNotifications: [
          {
            realmId: pick(rand, ['123', '', '\u0000', 'x'.repeat(300)]),
            dataChangeEvent: {
              entities: [{ name: pick(rand, ['JournalEntry', 'Account', 'Bill']), id: '1', operation: 'Update' }],
            },
          },
        ],
      };
      if (rand() < 0.7) mutate(rand, notification as unknown as Record<string, unknown>);
      const body = rand() < 0.1 ? pick(rand, ['{', 'null', '[]']) : JSON.stringify(notification);
      const res = await request(h.http)
        .post('/webhooks/qbo')
        .set('content-type', 'application/json')
        .set('intuit-signature', intuitSignature(body))
        .send(body);
      status(res, `QuickBooks webhook ${shortened(body)}`);
      const q = ['state', 'code', 'realmId', 'error']
        .filter(() => rand() < 0.7)
        .map((k) => `${k}=${enc(String(anyValue(rand, 0)))}`)
        .join('&');
      status(await request(h.http).get(`/oauth/qbo/callback?${q}`), `callback ?${shortened(q)}`);
    }
  });

  it('processing what was accepted leaves nothing pending and every entry balanced', async () => {
    for (const id of tenantIds) {
      const r = await drainInbox(h.process, BigInt(id));
      expect(r.deferred, `tenant ${id}`).toBe(0);
      await releaseThrough(h.process, BigInt(id), '2026-12-31');
    }
    const pending = await h.t.db.selectFrom('stripe_events').select('id').where('status', '=', 'pending').execute();
    expect(pending).toEqual([]);
    const entries = await h.t.db.selectFrom('journal_entries').select('id').execute();
    expect(entries.length).toBeGreaterThan(0);
    expect(await unbalancedEntries(h)).toBe(0);
  });
});
