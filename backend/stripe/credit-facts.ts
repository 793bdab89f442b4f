/**
 * Billing credits and stored value, Stripe → facts (shared/engine/facts.ts): credit grants
 * (`billing.credit_grant.*`), the credit balance transactions that apply their credits to invoice
 * lines or give them back, and a customer's balance transactions as stored value sees them.
 */
import type Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';
import type { CreditAppliedFact, CreditGrantFact, CustomerBalanceFact } from '../../shared/engine/facts.ts';
import type { MappingResult } from './mapping.ts';
import { big, idOf } from './object-facts.ts';
import type { StripeReader } from './reader.ts';
import { stripeCurrency } from './stripe-currency.ts';

/** The metadata key that marks a customer balance credit as funded by stored value (a gift card). */
export const STORED_VALUE_METADATA_KEY = 'stored_value';

/** A grant's monetary amount; a grant in anything but money cannot be booked. */
function monetary(
  amount: { type: string; monetary?: { currency: string; value: number } | null } | null | undefined,
  what: string,
): { value: bigint; currency: string } {
  if (!amount || amount.type !== 'monetary' || !amount.monetary)
    throw new AccrueError('invalid_input', `${what} is not a monetary amount; only monetary credits can be booked`);
  return { value: big(amount.monetary.value), currency: amount.monetary.currency };
}

/** A grant's facts: the grant, its void, and the sale it names (`metadata.invoice`). */
export function creditGrantFacts(grant: Stripe.Billing.CreditGrant, out: MappingResult): CreditGrantFact {
  const amount = monetary(grant.amount, `credit grant ${grant.id}`);
  if (amount.value < 0n) throw new AccrueError('invalid_input', `credit grant ${grant.id} has a negative amount`);
  const currency = stripeCurrency(amount.currency, grant.id);
  const category = String(grant.category);
  if (category !== 'paid' && category !== 'promotional')
    throw new AccrueError('invalid_input', `credit grant ${grant.id} has an unknown category "${category}"`);
  const saleInvoice = grant.metadata?.invoice ?? null;
  const fact: CreditGrantFact = {
    type: 'credit_grant',
    grant: grant.id,
    customer: idOf(grant.customer),
    category,
    amountMinor: amount.value,
    currency,
    at: grant.effective_at ?? grant.created,
    expiresAt: grant.expires_at ?? null,
    saleInvoice: saleInvoice || null,
  };
  out.facts.push(fact);
  if (grant.voided_at) out.facts.push({ type: 'credit_grant_voided', grant: grant.id, at: grant.voided_at });
  if (fact.saleInvoice && category === 'paid')
    out.facts.push({
      type: 'credit_grant_sale',
      grant: grant.id,
      invoice: fact.saleInvoice,
      amountMinor: amount.value,
      currency,
      at: fact.at,
    });
  return fact;
}

/**
 * A grant's event: the grant as it is now, and every credit it applied so far (so its balance is
 * whole whichever of its events is processed first).
 */
export async function creditGrantEventFacts(reader: StripeReader, grantId: string, out: MappingResult): Promise<void> {
  const grant = creditGrantFacts(await reader.getCreditGrant(grantId), out);
  if (!grant.customer) return;
  for (const txn of await reader.listCreditBalanceTransactions(grant.customer, grant.grant))
    appliedFact(txn, grant, out);
}

/**
 * A credit balance transaction: credits applied to an invoice line (a debit of type
 * `credits_applied`), or given back by a voided invoice (a credit of type
 * `credits_application_invoice_voided`); its grant comes along. Anything else moves no money.
 */
export async function creditTransactionFacts(
  reader: StripeReader,
  transactionId: string,
  out: MappingResult,
): Promise<CreditGrantFact | null> {
  const txn = await reader.getCreditBalanceTransaction(transactionId);
  const grantId = idOf(txn.credit_grant);
  if (!grantId) throw new AccrueError('invalid_input', `credit balance transaction ${txn.id} names no credit grant`);
  const grant = creditGrantFacts(await reader.getCreditGrant(grantId), out);
  appliedFact(txn, grant, out);
  // The grant's other applications too: its balance is whole whichever event comes first.
  if (grant.customer)
    for (const other of await reader.listCreditBalanceTransactions(grant.customer, grant.grant))
      if (other.id !== txn.id) appliedFact(other, grant, out);
  return grant;
}

/** Credits applied or given back by one transaction of a grant, into `out`; others move no money. */
function appliedFact(txn: Stripe.Billing.CreditBalanceTransaction, grant: CreditGrantFact, out: MappingResult): void {
  const applied = txn.debit?.type === 'credits_applied' ? txn.debit : null;
  const given =
    txn.credit?.type === 'credits_application_invoice_voided' ? txn.credit.credits_application_invoice_voided : null;
  const target = applied ? applied.credits_applied : given;
  if (!target) return;
  const amount = monetary((applied ?? txn.credit)!.amount, `credit balance transaction ${txn.id}`);
  const invoice = idOf(target.invoice);
  if (!invoice) throw new AccrueError('invalid_input', `credit balance transaction ${txn.id} names no invoice`);
  const fact: CreditAppliedFact = {
    type: 'credit_applied',
    transaction: txn.id,
    grant: grant.grant,
    invoice,
    invoiceLine: idOf(target.invoice_line_item),
    customer: grant.customer,
    amountMinor: applied ? amount.value : -amount.value,
    currency: stripeCurrency(amount.currency, txn.id),
    at: txn.effective_at ?? txn.created,
  };
  out.facts.push(fact);
}

/**
 * An invoice line's billing credits, split by the category of the grant each came from: paid
 * credits are consideration (booked by the grant), promotional ones a price reduction.
 */
export async function lineCredits(
  reader: StripeReader,
  line: Stripe.InvoiceLineItem,
  out: MappingResult,
): Promise<{ paid: bigint; promotional: bigint }> {
  const credits = { paid: 0n, promotional: 0n };
  for (const c of line.pretax_credit_amounts ?? []) {
    if (c.type !== 'credit_balance_transaction') continue;
    const id = idOf(c.credit_balance_transaction);
    const grant = id ? await creditTransactionFacts(reader, id, out).catch(missingAsPromotional(id, out)) : null;
    if (grant?.category === 'paid') credits.paid += big(c.amount);
    else credits.promotional += big(c.amount);
  }
  return credits;
}

/** A credit whose transaction Stripe no longer has: counted as a price reduction, and said so. */
function missingAsPromotional(id: string, out: MappingResult): (e: unknown) => null {
  return (e) => {
    if (!(e instanceof AccrueError) || e.code !== 'not_found') throw e;
    const reason = `credit balance transaction ${id} was not found; its credits are booked as promotional (a price reduction)`;
    out.exceptions.push({ objectId: id, reason });
    return null;
  };
}

/**
 * A customer's balance transactions, when stored value funded any of them: each credit (the
 * stored-value ones marked `metadata.stored_value`) and each use of the balance on an invoice.
 */
export async function customerBalanceFacts(reader: StripeReader, customer: string, out: MappingResult): Promise<void> {
  const transactions = await reader.listCustomerBalanceTransactions(customer);
  const funded = (t: Stripe.CustomerBalanceTransaction) => Boolean(t.metadata?.[STORED_VALUE_METADATA_KEY]);
  if (!transactions.some(funded)) return;
  for (const t of transactions) {
    const amount = big(t.amount);
    const applied = t.type === 'applied_to_invoice' || t.type === 'unapplied_from_invoice';
    // A credit to the customer is a negative amount; applying the balance to an invoice a positive one.
    if (!applied && amount >= 0n) continue;
    const expires = Number(t.metadata?.expires_at ?? '');
    const fact: CustomerBalanceFact = {
      type: 'customer_balance_txn',
      transaction: t.id,
      customer,
      kind: applied ? 'applied' : funded(t) ? 'stored_value_funded' : 'other_credit',
      amountMinor: applied ? amount : -amount,
      currency: stripeCurrency(t.currency, t.id),
      at: t.created,
      invoice: idOf(t.invoice),
      expiresAt: Number.isSafeInteger(expires) && expires > 0 ? expires : null,
    };
    out.facts.push(fact);
  }
}

/**
 * When the subscription of the invoice lines a credit note credits was cancelled, if on or before
 * the note (`termination_credits`); undefined when it was not, or Stripe no longer has it.
 */
export async function cancellationOf(
  reader: StripeReader,
  invoiceId: string,
  creditedLines: readonly (string | null)[],
  noteAt: number,
): Promise<number | undefined> {
  const invoice = await reader.getInvoice(invoiceId);
  const lines = invoice.lines?.data ?? [];
  const credited = lines.find((l) => creditedLines.includes(l.id));
  const subscription =
    idOf(credited?.parent?.subscription_item_details?.subscription) ??
    idOf(invoice.parent?.subscription_details?.subscription);
  if (!subscription) return undefined;
  const sub = await reader.getSubscription(subscription).catch((e: unknown) => {
    if (e instanceof AccrueError && e.code === 'not_found') return null;
    throw e;
  });
  const canceledAt = sub?.canceled_at ?? null;
  return canceledAt !== null && canceledAt <= noteAt ? canceledAt : undefined;
}

/**
 * The customer's stored value, read for an invoice that applies the balance. It never stops the
 * invoice from booking: a balance Stripe cannot list is an exception (retried only when transient).
 */
export async function storedValueOfInvoice(
  reader: StripeReader,
  customer: string,
  invoice: string,
  out: MappingResult,
): Promise<void> {
  const before = out.facts.length;
  try {
    await customerBalanceFacts(reader, customer, out);
  } catch (e) {
    if (!(e instanceof AccrueError) || (e.code !== 'not_found' && e.code !== 'invalid_input')) throw e;
    out.facts.length = before;
    const reason = `the balance transactions of ${customer} could not be read (${e.message}); stored value applied to ${invoice} is not redeemed until they can be`;
    out.exceptions.push({ objectId: customer, reason });
  }
}

/** The facts of a billing-credit or customer event. */
export async function creditEventFacts(
  type: string,
  reader: StripeReader,
  objectId: string,
  out: MappingResult,
): Promise<void> {
  if (type === 'billing.credit_balance_transaction.created') await creditTransactionFacts(reader, objectId, out);
  else if (type === 'customer.updated') await customerBalanceFacts(reader, objectId, out);
  else await creditGrantEventFacts(reader, objectId, out);
}
