/**
 * The demo's reference rates: the rate-provider fake on 127.0.0.1 serves the daily rates the sample
 * business was settled at (one path per currency, drawn from its seed), and the demo's tenant
 * fetches them through its configured provider each month before that month's events are
 * processed, as the daily tick would. With period-end revaluation on, the month-end rates restate
 * the EUR and JPY balances, so the report's FX columns show what moved.
 */
import { Decimal } from '../../shared/money.ts';
import type { LocalDate } from '../../shared/journal.ts';
import type { TenantSettingsInput } from '../../shared/settings.ts';
import type { Db } from '../db/database.ts';
import type { Tenant } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { refreshProviderRates, type RatesOutcome } from '../app/rates.ts';
import type { AfterPost } from '../app/booking.ts';
import { startFakeRates, type FakeRates } from '../sandbox/rates/server.ts';
import type { DailyRate } from '../sandbox/stripe/business/simulation.ts';

/** Decimals the provider quotes (units of each currency per one US dollar). */
const QUOTE_DECIMALS = 6;

/** Units per one USD, as providers quote against a base: the inverse of the USD price of one unit. */
function perDollar(usdPerUnit: string): string {
  return new Decimal(1).div(usdPerUnit).toDecimalPlaces(QUOTE_DECIMALS, Decimal.ROUND_HALF_UP).toFixed();
}

/** Starts the fake provider with the business's daily rates; returns it with the settings that use it. */
export async function startDemoRates(rates: readonly DailyRate[]): Promise<{
  fake: FakeRates;
  settings: Pick<TenantSettingsInput, 'fx_provider' | 'revalue_monetary_balances'>;
}> {
  const byDate: Record<string, Record<string, string>> = {};
  for (const r of rates) byDate[r.date] = { EUR: perDollar(r.eur), JPY: perDollar(r.jpy) };
  const fake = await startFakeRates(byDate, 'USD');
  return {
    fake,
    settings: {
      fx_provider: { url: `${fake.url}/rates/{date}?base={base}`, format: 'json', base: 'usd' },
      revalue_monetary_balances: true,
    },
  };
}

/** Fetches the provider's rates through `through` (the month's end), as the daily tick does. */
export async function fetchDemoRates(
  db: Db,
  tenant: Tenant,
  through: LocalDate,
  deps: { log: Logger; afterPost?: AfterPost | undefined },
): Promise<RatesOutcome> {
  const outcome = await refreshProviderRates({ db, log: deps.log, afterPost: deps.afterPost }, tenant, through);
  if (outcome.fault) throw new Error(`the demo's rate provider failed: ${outcome.fault}`);
  return outcome;
}
