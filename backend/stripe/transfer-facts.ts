/**
 * Transfers a Connect platform makes to connected accounts, with their reversals
 * (docs/accounting.md §3, "Connect platforms: transfers, destination charges, agent or gross").
 * The event's object is the transfer as it stood at that event (its reversals embedded), so it is
 * read from the event; only balance transactions and the charge it was funded from are fetched.
 * A transfer belongs to that charge (or its invoice), whose facts come with it, so a transfer
 * processed before its charge's own event still meets the charge.
 */
import type Stripe from 'stripe';
import type { TransferFact, TransferReversalFact } from '../../shared/engine/facts.ts';
import { AccrueError } from '../../shared/errors.ts';
import { isKnownCurrency, normalizeCurrency } from '../../shared/money.ts';
import type { MappingResult } from './mapping.ts';
import { big, chargeFacts, idOf, invoiceFacts, invoiceOfCharge, readBt } from './object-facts.ts';
import type { StripeReader } from './reader.ts';

/** Reversals read from one transfer's embedded list; more are booked when a later event lists them. */
export const TRANSFER_REVERSALS_MAX = 100;

export async function transferFacts(
  reader: StripeReader,
  transfer: Stripe.Transfer,
  out: MappingResult,
): Promise<void> {
  if (typeof transfer.id !== 'string' || typeof transfer.amount !== 'number' || typeof transfer.created !== 'number') {
    throw new AccrueError('invalid_input', 'transfer without id, amount or created; not booked');
  }
  if (!isKnownCurrency(transfer.currency)) {
    throw new AccrueError(
      'invalid_input',
      `${transfer.id} is in "${transfer.currency}", which is not an ISO 4217 currency; not booked`,
    );
  }
  const funding = await fundingOf(reader, transfer, out);
  await transferObjectFacts(reader, transfer, funding, out);
}

/** The facts of a transfer whose charge and invoice are known: the transfer and each listed reversal. */
async function transferObjectFacts(
  reader: StripeReader,
  transfer: Stripe.Transfer,
  funding: { charge: string | null; invoice: string | null },
  out: MappingResult,
): Promise<void> {
  const { charge, invoice } = funding;
  const currency = normalizeCurrency(transfer.currency);
  const listed = transfer.reversals?.data ?? [];
  if (transfer.reversals?.has_more) {
    out.exceptions.push({
      objectId: transfer.id,
      reason: `transfer ${transfer.id} lists only its first ${listed.length} reversals; the rest are booked when an event lists them`,
    });
  }
  for (const r of listed.slice(0, TRANSFER_REVERSALS_MAX)) {
    const reversal: TransferReversalFact = {
      type: 'transfer_reversal',
      reversal: r.id,
      transfer: transfer.id,
      charge,
      invoice,
      amountMinor: big(r.amount),
      currency: isKnownCurrency(r.currency) ? normalizeCurrency(r.currency) : currency,
      at: r.created,
      balanceTransaction: await readBt(reader, r.balance_transaction),
      sourceRefund: idOf(r.source_refund),
    };
    out.facts.push(reversal);
  }
  const fact: TransferFact = {
    type: 'transfer',
    transfer: transfer.id,
    destination: idOf(transfer.destination),
    amountMinor: big(transfer.amount),
    currency,
    at: transfer.created,
    balanceTransaction: await readBt(reader, transfer.balance_transaction),
    charge,
    invoice,
  };
  out.facts.push(fact);
}

/**
 * The platform charge a transfer was funded from (`source_transaction`) and its invoice, with the
 * charge's facts. A charge Stripe cannot find leaves the transfer standing alone, reported.
 */
async function fundingOf(
  reader: StripeReader,
  transfer: Stripe.Transfer,
  out: MappingResult,
): Promise<{ charge: string | null; invoice: string | null }> {
  const charge = idOf(transfer.source_transaction);
  if (!charge) return { charge: null, invoice: null };
  try {
    const invoice = await invoiceOfCharge(reader, charge, out);
    if (invoice) await invoiceFacts(reader, invoice, out, true);
    else await chargeFacts(reader, charge, out);
    return { charge, invoice };
  } catch (e) {
    if (!(e instanceof AccrueError) || e.code !== 'not_found') throw e;
    out.exceptions.push({
      objectId: transfer.id,
      reason: `transfer ${transfer.id} was funded from charge ${charge}, which Stripe cannot find; booked as a transfer that names no charge`,
    });
    return { charge: null, invoice: null };
  }
}

/**
 * The transfers of the destination charges refunded in `out`, as they are now: a refund with
 * `reverse_transfer` is made with its transfer reversal in one request, so the refund is booked
 * knowing what the connected account gave back, whichever event is processed first.
 */
export async function refundedTransferFacts(reader: StripeReader, out: MappingResult): Promise<void> {
  if (!reader.getTransfer) return;
  const seen = new Set<string>();
  for (const fact of [...out.facts]) {
    if (fact.type !== 'refund' || seen.has(fact.charge)) continue;
    seen.add(fact.charge);
    const transferId = idOf((await reader.getCharge(fact.charge)).transfer);
    if (!transferId) continue;
    const transfer = await reader.getTransfer(transferId);
    if (idOf(transfer.source_transaction) !== fact.charge || !isKnownCurrency(transfer.currency)) continue;
    await transferObjectFacts(reader, transfer, { charge: fact.charge, invoice: fact.invoice }, out);
  }
}
