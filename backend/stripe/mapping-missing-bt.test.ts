/**
 * Proves that a balance transaction Stripe cannot find costs only the fee: the payment and the
 * refund are still booked (at the booking rate, without a fee), and an exception names the
 * missing balance transaction.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Stripe from 'stripe';
import { expect, it } from 'vitest';
import { collectFacts } from './mapping.ts';
import { createMemoryReader } from '../sandbox/stripe/store.ts';

it('books a payment and a refund whose balance transactions are missing, and reports them', async () => {
  const lines = readFileSync(
    join(import.meta.dirname, '..', '..', 'test', 'golden', 'refund-partial', 'input.jsonl'),
    'utf8',
  )
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { object: string; type?: string });
  const withoutBts = lines.filter((l) => l.object !== 'balance_transaction');
  const reader = createMemoryReader(withoutBts);
  const events = withoutBts.filter((l) => l.object === 'event') as unknown as Stripe.Event[];
  const facts = [];
  const exceptions = [];
  for (const e of events) {
    const r = await collectFacts(e, reader);
    facts.push(...r.facts);
    exceptions.push(...r.exceptions);
  }
  const payment = facts.find((f) => f.type === 'payment');
  const refund = facts.find((f) => f.type === 'refund');
  expect(payment).toMatchObject({ amountMinor: 9000n, balanceTransaction: null });
  expect(refund).toMatchObject({ amountMinor: 4500n, balanceTransaction: null });
  expect(exceptions.map((x) => x.objectId).sort()).toEqual(expect.arrayContaining(['txn_pref', 'txn_re_pref']));
  expect(exceptions.every((x) => /not found; booked without its Stripe fee/.test(x.reason))).toBe(true);
});
