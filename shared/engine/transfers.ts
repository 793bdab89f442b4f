/**
 * Transfers from a Connect platform's balance to connected accounts, and their reversals
 * (docs/accounting.md §3, "Connect platforms: transfers, destination charges, agent or gross").
 *
 * A transfer moves cash out of the Stripe balance: Dr Due to Connected Accounts (agent: it
 * settles the connected account's share of the charge it was funded from) or Dr Transfers to
 * Connected Accounts (gross, or a transfer that names no charge of ours) / Cr Stripe Balance. A
 * reversal is the reverse; under agent, a reversal no refund made returns the connected share to
 * the platform as revenue. A transfer to an account the charge does not name, or to none, is
 * bad input: its cash is booked to Unmatched Stripe Cash with an exception, never lost. A
 * balance transaction that differs from the transfer in one currency is unmatched cash too,
 * never an exchange difference.
 */
import type { AccountRole } from '../accounts.ts';
import type { LineDraft, LocalDate } from '../journal.ts';
import { Decimal, formatMinor, minor, type Currency } from '../money.ts';
import { addException, emit, type AggregateBook } from './aggregate-book.ts';
import { convertMinor } from './allocation.ts';
import { bookSeparateTransferShare, isAgent, isSeparate, transferRole } from './connect-share.ts';
import { dateOf } from './context.ts';
import { factKey, type BalanceTxnFact, type Fact, type TransferFact, type TransferReversalFact } from './facts.ts';
import { configuredRate, rateOrException } from './fx.ts';
import { invoiceDimensions, type InvoiceState } from './invoice-state.ts';

/** One movement between the platform and a connected account, as booked. */
interface Movement {
  key: string;
  kind: 'transfer' | 'transfer_reversal';
  source: string;
  transfer: string;
  memo: string;
  /** +1: money out of the balance (a transfer); -1: back into it (a reversal). */
  direction: 1n | -1n;
  amountMinor: bigint;
  currency: Currency;
  at: number;
  balanceTransaction: BalanceTxnFact | null;
  role: AccountRole;
  roleMemo: string | undefined;
}

/** A transfer booked with the invoice or charge it was funded from (or standing alone: `invoice` null). */
export function bookTransfer(book: AggregateBook, invoice: InvoiceState | null, transfer: TransferFact): void {
  const to = transfer.destination;
  const unknown = unknownDestination(invoice, transfer);
  let role: AccountRole = 'connect_transfers';
  if (unknown) {
    addException(book, transfer.transfer, factKey(transfer), unknown);
    role = 'unmatched_cash';
  } else if (invoice && transfer.charge && invoice.connect?.charges.has(transfer.charge)) {
    const shareTaken = !isAgent(book) || !isSeparate(invoice, transfer) || transfer.currency === invoice.fact.currency;
    if (isSeparate(invoice, transfer)) bookSeparateTransferShare(book, invoice, transfer);
    role = shareTaken ? transferRole(book) : 'connect_transfers';
  }
  book_(book, invoice, {
    key: `tr:${transfer.transfer}`,
    kind: 'transfer',
    source: transfer.transfer,
    transfer: transfer.transfer,
    memo: `Transfer ${transfer.transfer} to ${to ?? 'no named account'}${transfer.charge ? ` from ${transfer.charge}` : ''}`,
    direction: 1n,
    amountMinor: transfer.amountMinor,
    currency: transfer.currency,
    at: transfer.at,
    balanceTransaction: transfer.balanceTransaction,
    role,
    roleMemo: unknown ? `transfer to ${to ?? 'no named account'}` : undefined,
  });
}

/** Why a transfer's destination is not one we can book to, or null when it is. */
function unknownDestination(invoice: InvoiceState | null, transfer: TransferFact): string | null {
  const amount = `${formatMinor(transfer.amountMinor, transfer.currency)} ${transfer.currency.toUpperCase()}`;
  if (!transfer.destination) {
    return `transfer ${transfer.transfer} (${amount}) names no connected account; its cash is booked to unmatched_cash for review`;
  }
  const charge = transfer.charge ? invoice?.connect?.charges.get(transfer.charge) : undefined;
  const named = charge?.settlement?.transferDestination;
  if (named && named !== transfer.destination && !isSeparate(invoice!, transfer)) {
    return (
      `transfer ${transfer.transfer} (${amount}) goes to ${transfer.destination}, but its charge ${transfer.charge} ` +
      `names ${named}; its cash is booked to unmatched_cash for review`
    );
  }
  return null;
}

/** A transfer reversal: money back from the connected account (see the module comment for where it books). */
export function bookTransferReversal(
  book: AggregateBook,
  invoice: InvoiceState | null,
  reversal: TransferReversalFact,
  transfers: readonly TransferFact[],
): void {
  const transfer = transfers.find((t) => t.transfer === reversal.transfer);
  if (!transfer) {
    const reason = `transfer reversal ${reversal.reversal}: its transfer ${reversal.transfer} is not in the books yet`;
    addException(book, reversal.reversal, factKey(reversal), reason);
    return;
  }
  let role: AccountRole = 'connect_transfers';
  let roleMemo: string | undefined;
  if (unknownDestination(invoice, transfer)) role = 'unmatched_cash';
  else if (invoice && transfer.charge && invoice.connect?.charges.has(transfer.charge) && isAgent(book)) {
    role = reversal.sourceRefund ? 'connected_payable' : 'revenue';
    roleMemo = reversal.sourceRefund ? undefined : 'connected share returned to the platform';
  }
  book_(book, invoice, {
    key: `trr:${reversal.reversal}`,
    kind: 'transfer_reversal',
    source: reversal.reversal,
    transfer: reversal.transfer,
    memo:
      `Reversal ${reversal.reversal} of transfer ${reversal.transfer}` +
      (reversal.sourceRefund ? ` (refund ${reversal.sourceRefund})` : ''),
    direction: -1n,
    amountMinor: reversal.amountMinor,
    currency: reversal.currency,
    at: reversal.at,
    balanceTransaction: reversal.balanceTransaction,
    role,
    roleMemo,
  });
}

/** Transfers that name no charge of ours: each booked on its own with its reversals. */
export function bookStandaloneTransfer(book: AggregateBook, transfer: TransferFact, facts: readonly Fact[]): void {
  bookTransfer(book, null, transfer);
  const reversals = facts
    .filter((f): f is TransferReversalFact => f.type === 'transfer_reversal' && f.transfer === transfer.transfer)
    .sort((a, b) => a.at - b.at || (a.reversal < b.reversal ? -1 : 1));
  for (const reversal of reversals) bookTransferReversal(book, null, reversal, [transfer]);
}

function book_(book: AggregateBook, invoice: InvoiceState | null, m: Movement): void {
  const context = book.context;
  const functional = context.functionalCurrency;
  const date = dateOf(context, m.at);
  if (m.amountMinor <= 0n) {
    addException(book, m.source, null, `${m.kind.replace('_', ' ')} ${m.source} has no positive amount; not booked`);
    return;
  }
  const rate = rateOf(book, invoice, m, date);
  if (!rate) return;
  const settled = m.balanceTransaction;
  const settledFunctional = settled !== null && settled.currency === functional && settled.amountMinor !== 0n;
  const booked = convertMinor(m.amountMinor, m.currency, functional, rate);
  const cash = settledFunctional ? (settled.amountMinor < 0n ? -settled.amountMinor : settled.amountMinor) : booked;
  const foreign = m.currency !== functional;
  const dimensions = invoice ? invoiceDimensions(invoice) : {};
  const original = (sign: bigint): LineDraft['original'] =>
    foreign ? { currency: m.currency, amountMinor: minor(sign * m.amountMinor), rate: rate.toString() } : undefined;
  const counter: LineDraft = {
    role: m.role,
    amountMinor: minor(m.direction * (foreign ? cash : booked)),
    currency: functional,
    original: original(m.direction),
    ...dimensions,
    memo: m.roleMemo,
  };
  const gap = foreign ? 0n : cash - booked;
  if (gap !== 0n) addException(book, m.source, null, gapReason(m, settled!, functional));
  emit(book, {
    key: m.key,
    kind: m.kind,
    postingDate: date,
    memo: m.memo,
    sources: [m.source, ...(m.source === m.transfer ? [] : [m.transfer])],
    lines: [
      ...(m.direction > 0n ? [counter] : []),
      {
        role: 'unmatched_cash',
        amountMinor: minor(m.direction * gap),
        currency: functional,
        ...dimensions,
        memo: `cash does not match ${m.source}`,
      },
      {
        role: 'cash_clearing',
        amountMinor: minor(-m.direction * cash),
        currency: functional,
        original: original(-m.direction),
        ...dimensions,
      },
      ...(m.direction < 0n ? [counter] : []),
    ],
  });
}

/** The rate from the movement's currency: 1, the invoice's booking rate, or the tenant's rate source. */
function rateOf(book: AggregateBook, invoice: InvoiceState | null, m: Movement, date: LocalDate): Decimal | null {
  const functional = book.context.functionalCurrency;
  if (m.currency === functional) return new Decimal(1);
  if (invoice && invoice.fact.currency === m.currency) return invoice.rate;
  const choice = configuredRate(book.context.settings, m.currency, functional, date);
  return rateOrException(book, choice, {
    objectId: m.source,
    factKey: `${m.kind}:${m.source}`,
    from: m.currency,
    date,
  });
}

function gapReason(m: Movement, settled: BalanceTxnFact, currency: Currency): string {
  const moved = settled.amountMinor < 0n ? -settled.amountMinor : settled.amountMinor;
  const difference = moved - m.amountMinor;
  const abs = difference < 0n ? -difference : difference;
  return (
    `${m.kind.replace('_', ' ')} ${m.source}: its balance transaction ${settled.id} moved ` +
    `${formatMinor(moved, currency)} ${currency.toUpperCase()}, the ${m.kind.replace('_', ' ')} is ` +
    `${formatMinor(m.amountMinor, currency)}; the ${formatMinor(abs, currency)} difference is booked to unmatched_cash for review`
  );
}
