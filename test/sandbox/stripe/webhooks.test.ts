// Proves webhook delivery looks like Stripe's to a receiver that verifies with the real
// `stripe.webhooks.constructEvent`: every body is signed with the endpoint secret, non-2xx answers
// are retried, a wrong secret is rejected by the receiver, and seeded shuffles and duplicates are
// reproducible permutations of the same events.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { deliverEvents, deliveryPlan } from '../../../backend/sandbox/stripe/webhooks.ts';
import * as fx from '../../../backend/sandbox/stripe/fixtures.ts';

const SECRET = 'whsec_test_secret_for_delivery';
const T0 = 1_760_000_000;

let server: Server;
let url: string;
let received: string[];
let failFirst: number;

beforeEach(async () => {
  received = [];
  failFirst = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failFirst > 0) {
        failFirst -= 1;
        res.writeHead(500).end();
        return;
      }
      try {
        const event = Stripe.webhooks.constructEvent(
          Buffer.concat(chunks),
          String(req.headers['stripe-signature']),
          SECRET,
        );
        received.push(event.id);
        res.writeHead(200).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function someEvents(n: number) {
  fx.resetIds();
  return Array.from({ length: n }, (_, i) =>
    fx.event({
      type: 'charge.succeeded',
      created: T0 + i,
      account: 'acct_1',
      object: fx.charge({
        amount: 100 + i,
        customer: 'cus_1',
        created: T0 + i,
        paymentIntent: null,
        balanceTransaction: null,
      }),
    }),
  );
}

describe('deliverEvents', () => {
  it('delivers signed events in order that the real verifier accepts', async () => {
    const events = someEvents(5);
    const results = await deliverEvents(events, { url, secret: SECRET });
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(received).toEqual(events.map((e) => e.id));
  });

  it('is rejected by a receiver with another secret', async () => {
    const results = await deliverEvents(someEvents(1), { url, secret: 'whsec_other', maxAttempts: 2 });
    expect(results[0]).toMatchObject({ status: 400, attempts: 2 });
    expect(received).toEqual([]);
  });

  it('retries a failed delivery', async () => {
    failFirst = 2;
    const results = await deliverEvents(someEvents(1), { url, secret: SECRET });
    expect(results[0]).toMatchObject({ status: 200, attempts: 3 });
  });

  it('shuffles and duplicates reproducibly by seed', async () => {
    const events = someEvents(30);
    const a = deliveryPlan(events, { order: 'shuffled', seed: 7, duplicatePerMille: 200 }).map((e) => e.id);
    const b = deliveryPlan(events, { order: 'shuffled', seed: 7, duplicatePerMille: 200 }).map((e) => e.id);
    const c = deliveryPlan(events, { order: 'shuffled', seed: 8, duplicatePerMille: 200 }).map((e) => e.id);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a)).toEqual(new Set(events.map((e) => e.id)));
    expect(a.length).toBeGreaterThan(events.length);
    expect(a.slice(0, 30)).not.toEqual(events.map((e) => e.id));
    await deliverEvents(events, {
      url,
      secret: SECRET,
      order: 'shuffled',
      seed: 7,
      duplicatePerMille: 200,
      concurrency: 4,
    });
    expect([...received].sort()).toEqual([...a].sort());
  });
});
