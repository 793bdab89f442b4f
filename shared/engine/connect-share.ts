/**
 * A Connect platform's revenue on destination charges and separate charges and transfers
 * (docs/accounting.md §3, "Connect platforms: transfers, destination charges, agent or gross").
 *
 * With `connect_revenue = agent` (the default) the platform's revenue is what it keeps: the
 * connected account's share of a charge is taken out of the sale (`connect_share`, Dr deferred
 * revenue — or revenue, for what was already recognized — / Cr Due to Connected Accounts) and the
 * transfer settles that liability. With `gross` the whole charge stays revenue and the transfer is
 * a cost (Transfers to Connected Accounts); nothing here books anything.
 *
 * A refund of such a charge is matched to the transfer reversals it made (`source_refund`):
 * what the connected account gives back settles its liability, the platform's own share of the
 * refund is contra revenue (the proportional rule), and what the platform paid for the connected
 * account without getting it back is a cost.
 */
import { allocate, formatMinor, minor, type Currency } from '../money.ts';
import type { AccountRole } from '../accounts.ts';
import type { LineDraft } from '../journal.ts';
import { addException, type AggregateBook } from './aggregate-book.ts';
import { convertMinor } from './allocation.ts';
import { bookCancel, type CancelEvent } from './cancellations.ts';
import type {
  ChargeFact,
  ChargeSettlementFact,
  Fact,
  PaymentFact,
  RefundFact,
  TransferFact,
  TransferReversalFact,
} from './facts.ts';
import { cashMoved } from './fx.ts';
import { invoiceDimensions, type InvoiceState } from './invoice-state.ts';
import { chargeCauses, settlementLines, type SettlementCause } from './settlement.ts';

/** A platform charge as the connect rules need it: what the customer paid and where it went. */
export interface ConnectCharge {
  charge: string;
  /** What the customer paid (captured), in the invoice currency. */
  amountMinor: bigint;
  /** What the platform's balance transaction settled in the functional currency, when it is functional. */
  cashMinor: bigint | null;
  settlement: ChargeSettlementFact | undefined;
}

/** An aggregate's Connect facts, gathered once before its events are booked in time order. */
export interface ConnectIndex {
  charges: Map<string, ConnectCharge>;
  transfers: TransferFact[];
  reversals: TransferReversalFact[];
}

export function isAgent(book: AggregateBook): boolean {
  return book.context.settings.connect_revenue === 'agent';
}

/** Where a transfer to a connected account (and money back from it) books: the liability (agent) or a cost (gross). */
export function transferRole(book: AggregateBook): AccountRole {
  return isAgent(book) ? 'connected_payable' : 'connect_transfers';
}

/**
 * The causes a charge's Connect details offer for cash short of what it paid (settlement.ts):
 * a transfer netted into the charge's balance transaction settles the connected account's share
 * under agent, and is a cost under gross.
 */
export function connectCauses(book: AggregateBook, settlement: ChargeSettlementFact | undefined): SettlementCause[] {
  const causes = chargeCauses(settlement);
  if (!isAgent(book)) return causes;
  return causes.map((c) => (c.role === 'connect_transfers' ? { ...c, role: 'connected_payable' } : c));
}

export function connectIndex(book: AggregateBook, facts: readonly Fact[]): ConnectIndex {
  const functional = book.context.functionalCurrency;
  const charges = new Map<string, ConnectCharge>();
  const add = (fact: PaymentFact | ChargeFact, charge: string): void => {
    const bt = fact.balanceTransaction;
    const captured = fact.settlement?.capturedMinor ?? null;
    charges.set(charge, {
      charge,
      amountMinor: captured !== null && captured < fact.amountMinor ? captured : fact.amountMinor,
      cashMinor: bt && bt.currency === functional && fact.currency === functional ? bt.amountMinor : null,
      settlement: fact.settlement,
    });
  };
  for (const fact of facts) {
    if (fact.type === 'payment' && fact.method === 'stripe') add(fact, fact.payment);
    if (fact.type === 'charge') add(fact, fact.charge);
  }
  return {
    charges,
    transfers: facts.filter((f): f is TransferFact => f.type === 'transfer'),
    reversals: facts.filter((f): f is TransferReversalFact => f.type === 'transfer_reversal'),
  };
}

/** A usable destination charge: a transfer and an application fee within the charge's amount. */
function destinationOf(charge: ConnectCharge): ChargeSettlementFact | null {
  const s = charge.settlement;
  if (!s || !s.transferDestination) return null;
  const within = (v: bigint): boolean => v >= 0n && v <= charge.amountMinor;
  const gross = s.transferGrossMinor ?? s.transferMinor;
  if (!within(s.transferMinor) || !within(s.applicationFeeMinor) || !within(gross)) return null;
  return s;
}

/**
 * The connected account's share of a destination charge. When the platform's balance transaction
 * holds only what the platform kept (the transfer netted into it), the share is the transfer as
 * netted; otherwise it is what Stripe transfers (`transfer_data.amount`, else the whole charge:
 * the platform's application fee then comes back as its own object, booked as Application Fee Revenue).
 */
export function connectedShareOf(charge: ConnectCharge): bigint {
  const s = destinationOf(charge);
  if (!s) return 0n;
  const netted = charge.cashMinor !== null && charge.cashMinor + s.transferMinor === charge.amountMinor;
  return netted ? s.transferMinor : (s.transferGrossMinor ?? s.transferMinor);
}

/**
 * Under agent, the connected share of a one-time destination charge in the functional currency,
 * taken out of the sale when the charge is booked (the charge entry credits Due to Connected
 * Accounts with it); 0 otherwise. A foreign charge's share is taken by `bookChargeShare`.
 */
export function agentShareAtBooking(book: AggregateBook, charge: ChargeFact, cashMinor: bigint): bigint {
  if (!isAgent(book)) return 0n;
  const captured = charge.settlement?.capturedMinor ?? null;
  const amountMinor = captured !== null && captured < charge.amountMinor ? captured : charge.amountMinor;
  return connectedShareOf({ charge: charge.charge, amountMinor, cashMinor, settlement: charge.settlement });
}

/** The charge entry's credit to Due to Connected Accounts for the connected share (a zero line is dropped). */
export function payableLine(charge: ChargeFact, share: bigint, currency: Currency): LineDraft {
  const to = charge.settlement?.transferDestination ?? 'a connected account';
  return {
    role: 'connected_payable',
    amountMinor: minor(-share),
    currency,
    customer: charge.customer ?? undefined,
    memo: `share of ${charge.charge} due to ${to}`,
  };
}

/**
 * One line for Due to Connected Accounts in an entry: a transfer netted into the charge's balance
 * transaction (a debit) and the connected share (a credit) of the same amount leave nothing.
 */
export function netPayable(lines: LineDraft[]): LineDraft[] {
  const payable = lines.filter((l) => l.role === 'connected_payable');
  if (payable.length < 2) return lines;
  let total = 0n;
  for (const l of payable) total += l.amountMinor;
  const first = lines.indexOf(payable[0]!);
  const merged = lines.filter((l) => l.role !== 'connected_payable');
  merged.splice(first, 0, { ...payable[payable.length - 1]!, amountMinor: minor(total) });
  return merged;
}

/** The share of a sale taken out of revenue (agent): Dr deferred revenue or revenue / Cr Due to Connected Accounts. */
function bookShare(
  book: AggregateBook,
  invoice: InvoiceState,
  share: { source: string; at: number; amountMinor: bigint; memo: string },
): void {
  if (share.amountMinor <= 0n) return;
  const event: CancelEvent = {
    kind: 'connect_share',
    source: share.source,
    at: share.at,
    amountMinor: share.amountMinor,
  };
  const currency = book.context.functionalCurrency;
  const { customer, invoice: invoiceId } = invoiceDimensions(invoice);
  bookCancel(book, invoice, event, (debit) => [
    { role: 'connected_payable', amountMinor: minor(-debit), currency, invoice: invoiceId, customer, memo: share.memo },
  ]);
}

/** Under agent, a destination charge's connected share leaves the sale at the payment (or the bare charge). */
export function bookChargeShare(book: AggregateBook, invoice: InvoiceState, charge: string, at: number): void {
  if (!isAgent(book) || invoice.writtenOff) return;
  const known = invoice.connect?.charges.get(charge);
  if (!known) return;
  const share = connectedShareOf(known);
  const to = known.settlement?.transferDestination ?? 'a connected account';
  bookShare(book, invoice, { source: charge, at, amountMinor: share, memo: `share of ${charge} due to ${to}` });
}

/**
 * Under agent, a separate transfer funded from one of this aggregate's charges (not the transfer a
 * destination charge made: that share left the sale at the payment) takes its amount out of the sale.
 */
export function bookSeparateTransferShare(book: AggregateBook, invoice: InvoiceState, transfer: TransferFact): void {
  if (!isAgent(book) || !isSeparate(invoice, transfer)) return;
  if (transfer.currency !== invoice.fact.currency) {
    const reason =
      `transfer ${transfer.transfer} is in ${transfer.currency.toUpperCase()}, its charge ${transfer.charge ?? ''} in ` +
      `${invoice.fact.currency.toUpperCase()}; its share is not taken out of the sale (the transfer is booked as a cost)`;
    addException(book, transfer.transfer, null, reason);
    return;
  }
  const amount = transfer.amountMinor;
  const memo = `transfer ${transfer.transfer} to ${transfer.destination ?? 'an unnamed account'}`;
  bookShare(book, invoice, { source: transfer.transfer, at: transfer.at, amountMinor: amount, memo });
}

/** A transfer that is not the one its charge made as a destination charge. */
export function isSeparate(invoice: InvoiceState, transfer: TransferFact): boolean {
  if (!transfer.charge) return false;
  const known = invoice.connect?.charges.get(transfer.charge);
  if (!known) return false;
  const s = destinationOf(known);
  return !s || (s.transfer !== undefined && s.transfer !== null && s.transfer !== transfer.transfer);
}

/** What the connected account's share of one charge was at an instant: its destination share and separate transfers. */
function connectedOfCharge(invoice: InvoiceState, charge: ConnectCharge, at: number): bigint {
  let share = connectedShareOf(charge);
  for (const t of invoice.connect?.transfers ?? []) {
    if (t.charge === charge.charge && t.at <= at && isSeparate(invoice, t)) share += t.amountMinor;
  }
  return share > charge.amountMinor ? charge.amountMinor : share;
}

/**
 * Under agent, a refund of a charge with a connected share: split into what the connected
 * account gives back (its transfer reversals made by this refund: Dr Due to Connected Accounts),
 * the platform's own share of the refund (the proportional rule, by the charge's split, largest
 * remainder), and the rest — the connected account's part the platform paid without getting it
 * back — a cost (Transfers to Connected Accounts). False when the refund is an ordinary one.
 */
export function bookConnectRefund(book: AggregateBook, invoice: InvoiceState, refund: RefundFact): boolean {
  if (!isAgent(book)) return false;
  const charge = invoice.connect?.charges.get(refund.charge);
  if (!charge) return false;
  const connected = connectedOfCharge(invoice, charge, refund.at);
  const reversals = (invoice.connect?.reversals ?? []).filter((r) => r.sourceRefund === refund.refund);
  if (connected === 0n && reversals.length === 0) return false;
  const amount = refund.amountMinor;
  let back = reversals.reduce((sum, r) => sum + r.amountMinor, 0n);
  if (back > amount) {
    const ids = reversals.map((r) => r.reversal).join(', ');
    const reason =
      `refund ${refund.refund} (${formatMinor(amount, refund.currency)}) made transfer reversals (${ids}) of ` +
      `${formatMinor(back, refund.currency)}, more than the refund; the excess is booked as money back from the connected account`;
    addException(book, refund.refund, null, reason);
    back = amount;
  }
  const [platformShare] = allocate(amount, [charge.amountMinor - connected, connected]) as [bigint, bigint];
  const contra = platformShare < amount - back ? platformShare : amount - back;
  const cost = amount - back - contra;
  bookAgentRefund(book, invoice, refund, { contra, back, cost });
  return true;
}

function bookAgentRefund(
  book: AggregateBook,
  invoice: InvoiceState,
  refund: RefundFact,
  split: { contra: bigint; back: bigint; cost: bigint },
): void {
  const context = book.context;
  const currency = context.functionalCurrency;
  const toFunctional = (v: bigint): bigint =>
    invoice.foreign ? convertMinor(v, invoice.fact.currency, currency, invoice.rate) : v;
  const event: CancelEvent = { kind: 'refund', source: refund.refund, at: refund.at, amountMinor: split.contra };
  const { customer, invoice: invoiceId } = invoiceDimensions(invoice);
  bookCancel(book, invoice, event, (debit): LineDraft[] => {
    const cash = cashMoved(context, invoice, refund.amountMinor, refund.balanceTransaction, -1n);
    const back = toFunctional(split.back);
    const cost = toFunctional(split.cost);
    const settled = refund.balanceTransaction;
    const foreign = invoice.foreign || (settled !== null && settled.currency !== currency);
    const dimensions = { invoice: invoiceId, customer };
    return [
      {
        role: 'connected_payable',
        amountMinor: minor(back),
        currency,
        ...dimensions,
        memo: 'given back by the connected account',
      },
      {
        role: 'connect_transfers',
        amountMinor: minor(cost),
        currency,
        ...dimensions,
        memo: 'connected share not given back',
      },
      { role: 'cash_clearing', amountMinor: minor(-cash), currency, ...dimensions },
      ...settlementLines(book, {
        differenceMinor: cash - debit - back - cost,
        foreign,
        causes: [],
        what: `refund ${refund.refund} of ${invoiceId} (${formatMinor(refund.amountMinor, currency)})`,
        ids: settled ? [refund.refund, invoiceId, settled.id] : [refund.refund, invoiceId],
        fxMemo: 'exchange difference on refund',
        dimensions: { invoice: invoiceId },
      }),
    ];
  });
}
