/**
 * Connect objects a platform tenant books (docs/accounting.md §3, "Connect platforms"): an
 * application fee with its refunds. The event's object is the fee's state at that event, so it is
 * read from the event; only its balance transactions are fetched.
 */
import type Stripe from 'stripe';
import type { ApplicationFeeFact } from '../../shared/engine/index.ts';
import { isKnownCurrency, normalizeCurrency } from '../../shared/money.ts';
import { AccrueError } from '../../shared/errors.ts';
import type { MappingResult } from './mapping.ts';
import { big, idOf, readBt } from './object-facts.ts';
import type { StripeReader } from './reader.ts';

/** Refunds read from one fee's embedded list; more are booked when a later event lists them. */
export const FEE_REFUNDS_MAX = 100;

export async function applicationFeeFacts(
  reader: StripeReader,
  fee: Stripe.ApplicationFee,
  out: MappingResult,
): Promise<void> {
  if (typeof fee.id !== 'string' || typeof fee.amount !== 'number' || typeof fee.created !== 'number') {
    throw new AccrueError('invalid_input', 'application fee without id, amount or created; not booked');
  }
  if (!isKnownCurrency(fee.currency)) {
    throw new AccrueError(
      'invalid_input',
      `${fee.id} is in "${fee.currency}", which is not an ISO 4217 currency; not booked`,
    );
  }
  const listed = fee.refunds?.data ?? [];
  if (fee.refunds?.has_more) {
    out.exceptions.push({
      objectId: fee.id,
      reason: `application fee ${fee.id} lists only its first ${listed.length} refunds; the rest are booked when an event lists them`,
    });
  }
  for (const r of listed.slice(0, FEE_REFUNDS_MAX)) {
    out.facts.push({
      type: 'application_fee_refund',
      refund: r.id,
      fee: fee.id,
      amountMinor: big(r.amount),
      at: r.created,
      balanceTransaction: await readBt(reader, r.balance_transaction),
    });
  }
  const originating = await originatingOf(reader, fee, out);
  const fact: ApplicationFeeFact = {
    ...originating,
    type: 'application_fee',
    fee: fee.id,
    charge: idOf(fee.charge),
    account: idOf(fee.account),
    amountMinor: big(fee.amount),
    currency: normalizeCurrency(fee.currency),
    balanceTransaction: await readBt(reader, fee.balance_transaction),
    at: fee.created,
  };
  out.facts.push(fact);
}

/**
 * The platform's own destination charge a fee came from (`originating_transaction`), with its
 * amount (a fee larger than it is bad input). A charge Stripe cannot find is reported; the fee is
 * then booked as one on a connected account's charge.
 */
async function originatingOf(
  reader: StripeReader,
  fee: Stripe.ApplicationFee,
  out: MappingResult,
): Promise<Pick<ApplicationFeeFact, 'originatingCharge' | 'originatingAmountMinor'>> {
  const id = idOf(fee.originating_transaction);
  if (!id || !(id.startsWith('ch_') || id.startsWith('py_'))) return {};
  try {
    const charge = await reader.getCharge(id);
    return { originatingCharge: id, originatingAmountMinor: big(charge.amount) };
  } catch (e) {
    if (!(e instanceof AccrueError) || e.code !== 'not_found') throw e;
    out.exceptions.push({
      objectId: fee.id,
      reason: `application fee ${fee.id} names charge ${id} as its origin, which Stripe cannot find; booked as a fee on a connected account's charge`,
    });
    return {};
  }
}
