/**
 * Stripe → facts: turns one Stripe event into the engine's normalized facts (shared/engine/facts.ts).
 *
 * The event only says *that* something happened; the facts are built from the current objects,
 * re-read through the `StripeReader`, so out-of-order or repeated delivery yields the same facts.
 * Every instant comes from the objects themselves (finalized_at, a refund's created, a balance
 * transaction's created …), never from the event, for the same reason. Anything that cannot be
 * mapped becomes an exception with a plain reason — never a guess.
 */
import type Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';
import { normalizeCurrency, type Currency } from '../../shared/money.ts';
import type { BalanceTxnFact, Fact } from '../../shared/engine/facts.ts';
import type { StripeReader } from './reader.ts';
import { applicationFeeFacts } from './connect-facts.ts';
import { disputeFacts } from './dispute-facts.ts';
import { creditEventFacts } from './credit-facts.ts';
import { refundedTransferFacts, transferFacts } from './transfer-facts.ts';
import { invoiceItemFacts } from './invoice-item-facts.ts';

import {
  big,
  chargeFacts,
  creditNoteFacts,
  failureInstant,
  idOf,
  invoiceFacts,
  paidOutTransactions,
  refundFacts,
  REFUNDS_PER_CHARGE_MAX,
} from './object-facts.ts';

export type { StripeReader } from './reader.ts';
export { FULFILLMENT_METADATA_KEY, REFUNDS_PER_CHARGE_MAX } from './object-facts.ts';

/** Event types that produce facts; everything else is stored and counted, never guessed at. */
export const HANDLED_EVENT_TYPES: readonly string[] = [
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'invoice.updated',
  'invoice_payment.paid',
  'charge.succeeded',
  'charge.captured',
  'payment_intent.succeeded',
  'charge.refunded',
  'charge.refund.updated',
  'refund.created',
  'refund.updated',
  'refund.failed',
  'credit_note.created',
  'credit_note.updated',
  'credit_note.voided',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
  'payout.paid',
  'payout.failed',
  'invoiceitem.created',
  'application_fee.created',
  'application_fee.refunded',
  'billing.credit_grant.created',
  'billing.credit_grant.updated',
  'billing.credit_balance_transaction.created',
  'customer.updated',
  'transfer.created',
  'transfer.updated',
  'transfer.reversed',
];

export interface MappingException {
  reason: string;
  objectId: string;
}

export interface MappingResult {
  facts: Fact[];
  exceptions: MappingException[];
}

/** What the mapping may know of the tenant. */
export interface MappingOptions {
  /**
   * The books' currency: a payout in it is booked without the list of what it paid out (one
   * Stripe request saved per payout). Unknown: every automatic payout's list is read.
   */
  functionalCurrency?: Currency | undefined;
}

export async function collectFacts(
  event: Stripe.Event,
  givenReader: StripeReader,
  options: MappingOptions = {},
): Promise<MappingResult> {
  const out: MappingResult = { facts: [], exceptions: [] };
  const reader = toleratingMissingBalanceTransactions(givenReader, out);
  const obj = (event.data as { object: unknown }).object as Record<string, unknown>;
  const objectId = idOf(obj) ?? event.id;
  if (!HANDLED_EVENT_TYPES.includes(event.type)) return out;
  try {
    await mapEvent(event, obj, objectId, reader, out, options);
  } catch (e) {
    reportMappingFailure(e, event, objectId, out);
  }
  return out;
}

/**
 * A missing balance transaction costs the fee and Stripe's settlement rate, not the payment:
 * the payment is booked at its own amount (at the booking rate) and the gap is reported.
 */
function toleratingMissingBalanceTransactions(givenReader: StripeReader, out: MappingResult): StripeReader {
  const reader: StripeReader = Object.create(givenReader) as StripeReader;
  reader.getBalanceTransaction = async (id: string | null) => {
    try {
      return await givenReader.getBalanceTransaction(id as string);
    } catch (e) {
      if (!(e instanceof AccrueError) || e.code !== 'not_found' || !id) throw e;
      out.exceptions.push({
        objectId: id,
        reason: `balance transaction ${id} was not found; booked without its Stripe fee and at the booking rate`,
      });
      return null;
    }
  };
  return reader;
}

/**
 * An error while mapping: a transient one (Stripe unavailable, rate limited …) is thrown to be
 * retried later; anything else becomes the event's exception, and its facts are dropped.
 */
function reportMappingFailure(e: unknown, event: Stripe.Event, objectId: string, out: MappingResult): void {
  if (e instanceof AccrueError) {
    if (e.code !== 'not_found' && e.code !== 'invalid_input') throw e; // Stripe unavailable, rate limited …: retry later
    out.exceptions.push({ objectId, reason: e.message });
  } else {
    // An object whose shape we do not understand: report it, never guess (and never retry forever).
    out.exceptions.push({
      objectId,
      reason: `could not map ${event.type}: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
  // Facts gathered before the failure are incomplete for this event; the exception stands for all of it.
  out.facts = [];
}

/** The facts of one handled event, into `out`. */
async function mapEvent(
  event: Stripe.Event,
  obj: Record<string, unknown>,
  objectId: string,
  reader: StripeReader,
  out: MappingResult,
  options: MappingOptions,
): Promise<void> {
  switch (event.type) {
    case 'invoice.finalized':
    case 'invoice.paid':
    case 'invoice.payment_succeeded':
    case 'invoice.voided':
    case 'invoice.marked_uncollectible':
      await invoiceFacts(reader, objectId, out, true);
      break;
    case 'application_fee.created':
    case 'application_fee.refunded':
      await applicationFeeFacts(reader, obj as unknown as Stripe.ApplicationFee, out);
      break;
    case 'transfer.created':
    case 'transfer.updated':
    case 'transfer.reversed':
      await transferFacts(reader, obj as unknown as Stripe.Transfer, out);
      break;
    case 'invoice.updated':
      // Drafts are updated often and book nothing; only a finalized invoice has facts to report.
      await invoiceFacts(reader, objectId, out, true, true);
      break;
    case 'invoice_payment.paid': {
      const invoiceId = idOf(obj.invoice);
      if (!invoiceId) out.exceptions.push({ objectId, reason: 'invoice payment names no invoice' });
      else await invoiceFacts(reader, invoiceId, out, true);
      break;
    }
    case 'charge.succeeded':
    case 'charge.captured':
      await chargeFacts(reader, objectId, out);
      break;
    case 'payment_intent.succeeded': {
      const ch = await reader.latestChargeOf(objectId);
      if (!ch) out.exceptions.push({ objectId, reason: 'payment intent succeeded without a charge' });
      else await chargeFacts(reader, ch, out);
      break;
    }
    case 'charge.refunded': {
      // Charges no longer embed their refunds by default; when neither the current charge nor the
      // snapshot lists them, the refund.created / refund.updated events book each refund.
      const current = await reader.getCharge(objectId);
      const listed = (r: unknown): unknown[] => (r as { refunds?: { data?: unknown[] } | null }).refunds?.data ?? [];
      const refunds = listed(current).length > 0 ? listed(current) : listed(obj);
      if (refunds.length > REFUNDS_PER_CHARGE_MAX)
        out.exceptions.push({
          objectId,
          reason: `charge has more than ${REFUNDS_PER_CHARGE_MAX} refunds; the rest are booked from their refund events`,
        });
      if (refunds.length === 0) await chargeFacts(reader, objectId, out);
      for (const r of refunds.slice(0, REFUNDS_PER_CHARGE_MAX)) {
        const id = idOf(r);
        if (id) await refundFacts(reader, id, out);
      }
      await refundedTransferFacts(reader, out);
      break;
    }
    case 'charge.refund.updated':
    case 'refund.created':
    case 'refund.updated':
    case 'refund.failed':
      await refundFacts(reader, objectId, out);
      await refundedTransferFacts(reader, out);
      break;
    case 'credit_note.created':
    case 'credit_note.updated':
    case 'credit_note.voided':
      await creditNoteFacts(reader, objectId, out);
      break;
    case 'charge.dispute.created':
    case 'charge.dispute.updated':
    case 'charge.dispute.closed':
    case 'charge.dispute.funds_withdrawn':
    case 'charge.dispute.funds_reinstated':
      await disputeFacts(reader, objectId, out);
      break;
    case 'payout.paid':
    case 'payout.failed':
      await payoutFacts(event.type, reader, objectId, out, options);
      break;
    case 'invoiceitem.created':
      await invoiceItemFacts(reader, objectId, out);
      break;
    case 'billing.credit_grant.created':
    case 'billing.credit_grant.updated':
    case 'billing.credit_balance_transaction.created':
    case 'customer.updated':
      await creditEventFacts(event.type, reader, objectId, out);
      break;
  }
}

/** A payout paid or failed; a payout from a foreign balance also lists what it paid out. */
async function payoutFacts(
  type: 'payout.paid' | 'payout.failed',
  reader: StripeReader,
  objectId: string,
  out: MappingResult,
  options: MappingOptions,
): Promise<void> {
  const po = await reader.getPayout(objectId);
  out.facts.push({
    type: type === 'payout.paid' ? 'payout_paid' : 'payout_failed',
    payout: po.id,
    amountMinor: big(po.amount),
    currency: normalizeCurrency(po.currency),
    // Paid: the day the money arrives; failed: when Stripe created the failure (or the arrival date).
    at: type === 'payout.paid' ? po.arrival_date : await failureInstant(reader, po),
    ...(normalizeCurrency(po.currency) === options.functionalCurrency ? {} : await paidOutFields(reader, po)),
  });
}

/** What a payout paid out, when Stripe lists it (a payout from a foreign balance realizes its exchange difference on it). */
async function paidOutFields(
  reader: StripeReader,
  po: Stripe.Payout,
): Promise<{ balanceTransactions?: BalanceTxnFact[] }> {
  const listed = await paidOutTransactions(reader, po);
  return listed ? { balanceTransactions: listed } : {};
}
