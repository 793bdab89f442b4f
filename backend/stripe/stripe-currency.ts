/** A Stripe object's currency as the books take it. */
import { AccrueError } from '../../shared/errors.ts';
import { isKnownCurrency, normalizeCurrency, type Currency } from '../../shared/money.ts';

/** A Stripe object's currency, refused (a mapping exception, not booked) when ISO 4217 has no such code. */
export function stripeCurrency(code: string, objectId: string): Currency {
  if (!isKnownCurrency(code)) {
    throw new AccrueError(
      'invalid_input',
      `${objectId} is in "${code}", which is not an ISO 4217 currency; not booked`,
    );
  }
  return normalizeCurrency(code);
}
