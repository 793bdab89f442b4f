/**
 * The few helpers every area of the App's use cases shares: the caller's tenant, its local date,
 * and the string forms the App API uses for amounts and ids.
 */
import { localDateOf } from '../../../shared/time.ts';
import type { Db } from '../../db/database.ts';
import { ensureTenant, type Tenant } from '../../ledger/tenants.ts';
import type { AppCaller, AppDeps } from './types.ts';

/**
 * The tenant of the VERIFIED caller (account id and mode from the Stripe signature, never a body
 * or query field), created with default settings on first use; the creation names the user.
 */
export function tenantOf(db: Db, caller: AppCaller): Promise<Tenant> {
  const ref = { accountId: caller.tenant.accountId, livemode: caller.tenant.livemode };
  return ensureTenant(db, ref, undefined, caller.user.id);
}

/** Today in the tenant's reporting time zone. */
export function todayOf(clock: AppDeps['clock'], tenant: Tenant): string {
  return localDateOf(Math.floor(clock.now_ms() / 1000), tenant.settings.reporting_time_zone);
}

/** An amount in minor units as the App API carries it: a decimal string (JSON has no bigint). */
export function minor(value: bigint): string {
  return value.toString();
}

/** A database id from a path or query value; null when it cannot be one (so it names nothing). */
export function bigintId(id: string): bigint | null {
  return /^\d{1,18}$/.test(id) ? BigInt(id) : null;
}
