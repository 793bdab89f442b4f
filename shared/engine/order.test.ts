// Proves the orders of order.ts: event types within one second in the order one request creates
// them (a credit note before the refund it made), unknown types last; every entry kind ranked.
// And that billing credits do not depend on order: a paid grant, the sale its metadata names, its
// applications, its void and a promotional grant book the same entries whatever order (and however
// many times) their facts arrive in.
import fc from 'fast-check';
import { currency } from '../money.ts';
import { TenantSettingsSchema } from '../settings.ts';
import { startOfDay } from '../time.ts';
import type { Fact, InvoiceFinalizedFact } from './facts.ts';
import { runEngine } from './index.ts';
import { ENTRY_KIND_ORDER, entryKindRank, eventTypeRank, invoiceFactRank } from './order.ts';

const USD = currency('usd');
const T0 = startOfDay('2026-01-01', 'UTC');
const DAY = 86_400;

describe('orders', () => {
  it('processes event types of one second in the order a request creates them', () => {
    const types = [
      'payout.paid',
      'charge.dispute.funds_withdrawn',
      'charge.refunded',
      'credit_note.created',
      'invoice.paid',
      'invoice.finalized',
      'invoiceitem.created',
      'account.application.authorized',
      'customer.created',
      'invoice.voided',
    ];
    const sorted = [...types].sort((a, b) => eventTypeRank(a) - eventTypeRank(b));
    expect(sorted).toEqual([
      'account.application.authorized',
      'invoiceitem.created',
      'invoice.finalized',
      'invoice.paid',
      'credit_note.created',
      'charge.refunded',
      'charge.dispute.funds_withdrawn',
      'invoice.voided',
      'payout.paid',
      'customer.created',
    ]);
  });

  it('books a credit note before the refund it made, and reversals after what they reverse', () => {
    expect(invoiceFactRank('credit_note')!).toBeLessThan(invoiceFactRank('refund')!);
    expect(invoiceFactRank('refund')!).toBeLessThan(invoiceFactRank('refund_failed')!);
    expect(invoiceFactRank('invoice_finalized')).toBeUndefined();
  });

  it('ranks every entry kind once', () => {
    expect(new Set(ENTRY_KIND_ORDER).size).toBe(ENTRY_KIND_ORDER.length);
    expect(entryKindRank('invoice_finalized')).toBe(0);
    expect(entryKindRank('payment')).toBeLessThan(entryKindRank('recognition'));
  });
});

describe('billing credits in any delivery order', () => {
  it('books credit events of one second after the invoice and its payment', () => {
    for (const type of [
      'billing.credit_grant.created',
      'billing.credit_balance_transaction.created',
      'customer.updated',
    ])
      expect(eventTypeRank(type)).toBeGreaterThan(eventTypeRank('invoice.paid'));
  });

  it('a paid grant with its sale, applications and void, and a promotional grant: same entries in every order', () => {
    const facts = creditFacts();
    const settings = TenantSettingsSchema.parse({});
    const book = (list: Fact[]) => runEngine({ settings, facts: list, through: '2026-12-31' });
    const inOrder = book(facts);
    // The sale books to prepaid credits, the applications and the void move them: not vacuous.
    const roles = new Set(inOrder.entries.flatMap((e) => e.lines.map((l) => l.role)));
    for (const role of ['prepaid_credits', 'breakage', 'receivable']) expect(roles).toContain(role);
    expect(inOrder.exceptions).toEqual([]);
    fc.assert(
      fc.property(fc.shuffledSubarray([...facts, ...facts], { minLength: facts.length * 2 }), (shuffled) => {
        const r = book(shuffled);
        expect(r.entries).toEqual(inOrder.entries);
        expect(r.exceptions).toEqual(inOrder.exceptions);
      }),
      { numRuns: 60, seed: 15 },
    );
  });
});

/** A one-line invoice of `amount` cents on Jan 1 + `day`, `promotional` credits (cents) off its line. */
function invoiceFact(id: string, amount: bigint, day: number, promotional = 0n): InvoiceFinalizedFact {
  const at = T0 + day * DAY;
  return {
    type: 'invoice_finalized',
    invoice: id,
    customer: 'cus_1',
    currency: USD,
    at,
    totalMinor: amount - promotional, // paid credits are consideration: in the total, like a payment
    taxMinor: 0n,
    startingBalanceMinor: 0n,
    endingBalanceMinor: 0n,
    lines: [
      {
        id: `il_${id}`,
        amountMinor: amount,
        discountMinor: 0n,
        creditMinor: promotional,
        inclusiveTaxMinor: 0n,
        exclusiveTaxMinor: 0n,
        periodStart: at,
        periodEnd: at + 28 * DAY,
        product: 'prod_plan',
        price: null,
        proration: false,
        invoiceItem: null,
        pendingItemCreatedAt: null,
        description: null,
      },
    ],
  } as InvoiceFinalizedFact;
}

function creditFacts(): Fact[] {
  const sale = { ...invoiceFact('in_sale', 10_000n, 0), lines: [] } as InvoiceFinalizedFact;
  sale.lines = [{ ...invoiceFact('in_sale', 10_000n, 0).lines[0]!, periodEnd: T0, product: 'prod_pack' }];
  const applied = (id: string, grant: string, invoice: string, amount: bigint, day: number): Fact => ({
    type: 'credit_applied',
    transaction: id,
    grant,
    invoice,
    invoiceLine: `il_${invoice}`,
    customer: 'cus_1',
    amountMinor: amount,
    currency: USD,
    at: T0 + day * DAY,
  });
  const grant = (id: string, category: 'paid' | 'promotional', amount: bigint, saleInvoice: string | null): Fact => ({
    type: 'credit_grant',
    grant: id,
    customer: 'cus_1',
    category,
    amountMinor: amount,
    currency: USD,
    at: T0 + 3600,
    expiresAt: null,
    saleInvoice,
  });
  return [
    sale,
    grant('credgr_paid', 'paid', 10_000n, 'in_sale'),
    {
      type: 'credit_grant_sale',
      grant: 'credgr_paid',
      invoice: 'in_sale',
      amountMinor: 10_000n,
      currency: USD,
      at: T0 + 3600,
    },
    grant('credgr_bonus', 'promotional', 1_000n, null),
    invoiceFact('in_use1', 6_000n, 31, 1_000n),
    applied('cbtxn_bonus', 'credgr_bonus', 'in_use1', 1_000n, 31),
    applied('cbtxn_paid1', 'credgr_paid', 'in_use1', 3_000n, 31),
    invoiceFact('in_use2', 6_000n, 59),
    applied('cbtxn_paid2', 'credgr_paid', 'in_use2', 2_500n, 59),
    { type: 'credit_grant_voided', grant: 'credgr_paid', at: T0 + 70 * DAY },
  ];
}
