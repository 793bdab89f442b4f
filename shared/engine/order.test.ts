// Proves the orders of order.ts: event types within one second in the order one request creates
// them (a credit note before the refund it made), unknown types last; every entry kind ranked.
import { ENTRY_KIND_ORDER, entryKindRank, eventTypeRank, invoiceFactRank } from './order.ts';

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
