// Proves the Stripe → facts mapping: the several events that report one Stripe fact map to the
// same facts (so the engine books it once), facts come from the re-read objects and not from the
// event snapshot, what cannot be mapped becomes an exception with a plain reason, and event
// types we do not handle produce nothing.
import { collectFacts, HANDLED_EVENT_TYPES } from './mapping.ts';
import { createMemoryReader } from '../sandbox/stripe/store.ts';
import { factKey, serializeFact, type Fact } from '../../shared/engine/facts.ts';
import { bt, charge, event, invoice, invoicePayment, refund, ts } from '../../test/golden/make-inputs.ts';
import type Stripe from 'stripe';

const fin = ts('2026-01-01');
const inv = invoice({
  id: 'in_m',
  finalizedAt: fin,
  paidAt: fin + 60,
  lines: [{ id: 'il_m', amount: 12000, product: 'prod_m', start: fin, end: ts('2027-01-01'), tax: { amount: 1200 } }],
});
const txn = bt('txn_m', 13200, 413, fin + 60, { source: 'ch_m' });
const ch = charge('ch_m', 13200, fin + 60, 'txn_m', { refunds: ['re_m'] });
const ip = invoicePayment('inpay_m', 'in_m', 'ch_m', 13200, fin + 60);
const rtx = bt('txn_re_m', -3000, 0, ts('2026-02-01'), { type: 'refund' });
const re = refund('re_m', 'ch_m', 3000, ts('2026-02-01'), 'txn_re_m');
const objects = [inv, txn, ch, ip, rtx, re];

async function factsOf(
  type: string,
  object: Record<string, unknown>,
  extra: unknown[] = [],
): Promise<{ facts: Fact[]; exceptions: { reason: string; objectId: string }[] }> {
  const reader = createMemoryReader([...objects, ...extra]);
  return collectFacts(event(`evt_${type}`, type, fin + 100, object as never) as unknown as Stripe.Event, reader);
}

const keysAndBodies = (fs: Fact[]): string[] => [...new Set(fs.map((f) => `${factKey(f)}=${serializeFact(f)}`))].sort();

describe('collectFacts', () => {
  it('maps invoice.paid, invoice.payment_succeeded, invoice_payment.paid and charge.succeeded to the same facts', async () => {
    const a = await factsOf('invoice.paid', inv);
    const b = await factsOf('invoice.payment_succeeded', inv);
    const c = await factsOf('invoice_payment.paid', ip);
    const d = await factsOf('charge.succeeded', ch);
    expect(a.exceptions).toEqual([]);
    expect(keysAndBodies(a.facts)).toEqual(
      ['invoice_finalized:in_m', 'payment:in_m:ch_m'].map((k) =>
        keysAndBodies(a.facts).find((x) => x.startsWith(`${k}=`))!,
      ),
    );
    expect(keysAndBodies(b.facts)).toEqual(keysAndBodies(a.facts));
    expect(keysAndBodies(c.facts)).toEqual(keysAndBodies(a.facts));
    expect(keysAndBodies(d.facts)).toEqual(keysAndBodies(a.facts));
  });

  it('reads amounts, tax, period, product and the balance transaction from the current objects', async () => {
    const { facts } = await factsOf('invoice.paid', { ...inv, total: 1 });
    const f = facts.find((x) => x.type === 'invoice_finalized');
    const p = facts.find((x) => x.type === 'payment');
    expect(
      f &&
        f.type === 'invoice_finalized' && [
          f.totalMinor,
          f.taxMinor,
          f.lines[0]!.product,
          f.lines[0]!.periodStart,
          f.at,
        ],
    ).toEqual([13200n, 1200n, 'prod_m', fin, fin]);
    expect(p && p.type === 'payment' && [p.amountMinor, p.balanceTransaction?.feeMinor, p.method, p.at]).toEqual([
      13200n,
      413n,
      'stripe',
      fin + 60,
    ]);
  });

  it('maps charge.refunded and refund.created to the same refund fact, tied to the invoice', async () => {
    const a = await factsOf('charge.refunded', ch);
    const b = await factsOf('refund.created', re);
    const ra = a.facts.filter((f) => f.type === 'refund');
    expect(ra).toHaveLength(1);
    expect(ra[0]).toMatchObject({ refund: 're_m', invoice: 'in_m', amountMinor: 3000n, at: ts('2026-02-01') });
    expect(keysAndBodies(b.facts)).toEqual(keysAndBodies(a.facts));
  });

  it('a failed refund yields the refund and its failure, so the reversal has something to reverse', async () => {
    const failed = { ...re, status: 'failed', failure_balance_transaction: 'txn_fail' };
    const fbt = bt('txn_fail', 3000, 0, ts('2026-02-03'), { type: 'refund_failure' });
    const reader = createMemoryReader([inv, txn, ch, ip, rtx, failed, fbt]);
    const { facts } = await collectFacts(
      event('evt_rf', 'refund.failed', ts('2026-02-03'), failed as never) as unknown as Stripe.Event,
      reader,
    );
    expect(
      facts
        .filter((f) => f.type === 'refund' || f.type === 'refund_failed')
        .map((f) => [f.type, (f as { at: number }).at]),
    ).toEqual([
      ['refund', ts('2026-02-01')],
      ['refund_failed', ts('2026-02-03')],
    ]);
  });

  it('turns a missing object into an exception with a plain reason instead of throwing', async () => {
    const r = await factsOf('invoice.paid', { ...inv, id: 'in_missing' });
    expect(r.facts).toEqual([]);
    expect(r.exceptions).toHaveLength(1);
    expect(r.exceptions[0]!.objectId).toBe('in_missing');
    expect(r.exceptions[0]!.reason).toMatch(/not found/);
  });

  it('does not book a draft invoice', async () => {
    const draft = {
      ...inv,
      id: 'in_draft',
      status: 'draft',
      status_transitions: { finalized_at: null, paid_at: null, voided_at: null, marked_uncollectible_at: null },
    };
    const r = await factsOf('invoice.paid', draft, [draft]);
    expect(r.facts).toEqual([]);
    expect(r.exceptions[0]!.reason).toMatch(/not finalized/);
    // Drafts are updated often: an update of a draft is not an exception.
    expect(await factsOf('invoice.updated', draft, [draft])).toEqual({ facts: [], exceptions: [] });
  });

  it('ignores event types it does not handle, and lists the ones it does', async () => {
    const r = await factsOf('customer.subscription.updated', { id: 'sub_1', object: 'subscription' });
    expect(r).toEqual({ facts: [], exceptions: [] });
    expect(HANDLED_EVENT_TYPES).toContain('invoice.finalized');
    expect(HANDLED_EVENT_TYPES).not.toContain('customer.subscription.updated');
  });

  it('reads fulfillment signals from invoice and line metadata, and reports unreadable ones', async () => {
    const lines = (inv.lines as { data: Record<string, unknown>[] }).data;
    const flagged = {
      ...inv,
      id: 'in_ful',
      metadata: { accrue_fulfilled_at: 'soon' },
      lines: {
        ...(inv.lines as object),
        data: [{ ...lines[0]!, invoice: 'in_ful', metadata: { accrue_fulfilled_at: '2026-03-02T00:00:00Z' } }],
      },
    };
    const r = await factsOf('invoice.updated', flagged, [flagged]);
    expect(r.facts.filter((f) => f.type === 'fulfillment')).toEqual([
      {
        type: 'fulfillment',
        id: 'meta:in_ful:il_m',
        invoice: 'in_ful',
        invoiceLine: 'il_m',
        product: null,
        at: ts('2026-03-02'),
      },
    ]);
    expect(r.exceptions.map((x) => x.objectId)).toEqual(['in_ful']);
    expect(r.exceptions[0]!.reason).toMatch(/accrue_fulfilled_at="soon"/);
  });

  it('maps a charge with no invoice payment to a one-time charge fact', async () => {
    const lone = charge('ch_lone', 5000, fin, 'txn_lone', { description: 'Ticket' });
    const lbt = bt('txn_lone', 5000, 175, fin, { source: 'ch_lone' });
    const r = await factsOf('charge.succeeded', lone, [lone, lbt]);
    expect(r.facts).toEqual([
      expect.objectContaining({ type: 'charge', charge: 'ch_lone', amountMinor: 5000n, description: 'Ticket' }),
    ]);
  });
});
