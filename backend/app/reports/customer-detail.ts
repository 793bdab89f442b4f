/** The customer drill-down: each invoice's recognized and deferred amounts, and the entries that touch the customer. */
import { sql } from 'kysely';
import type { CustomerDetailResponse } from '../../../shared/api/app.ts';
import type { InvoiceFinalizedFact } from '../../../shared/engine/facts.ts';
import { AccrueError } from '../../../shared/errors.ts';
import { localDateOf } from '../../../shared/time.ts';
import type { Db } from '../../db/database.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { minor, tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { entriesFor } from './entries.ts';
import { factsOf, schedulesOf } from './schedules.ts';

/**
 * Invoices one customer drill-down runs the engine over: years of monthly invoices, bounded so one
 * request's work stays bounded too.
 */
export const CUSTOMER_INVOICES_MAX = 500;

/** The customer's invoices (their aggregates), at most `CUSTOMER_INVOICES_MAX`. */
async function invoicesOf(db: Db, tenant: Tenant, customerId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('stripe_facts')
    .select(['aggregate'])
    .distinct()
    .where('tenant_id', '=', tenant.id)
    .where(sql<boolean>`fact->>'type' = 'invoice_finalized'`)
    .where(sql<boolean>`fact->>'customer' = ${customerId}`)
    .orderBy('aggregate')
    .limit(CUSTOMER_INVOICES_MAX)
    .execute();
  return rows.map((r) => r.aggregate);
}

/** `not_found` when nothing is booked for the customer (no fact and no entry). */
export async function getCustomerDetail(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  customerId: string,
): Promise<CustomerDetailResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const facts = await factsOf(deps.db, tenant, await invoicesOf(deps.db, tenant, customerId));
  const entries = await entriesFor(deps.db, tenant, { customer: customerId });
  if (facts.length === 0 && entries.length === 0)
    throw new AccrueError('not_found', `Nothing is booked for customer ${customerId}.`);
  const schedules = await schedulesOf(deps.db, tenant, facts);
  const tz = tenant.settings.reporting_time_zone;
  let recognized = 0n;
  let deferred = 0n;
  const invoices: CustomerDetailResponse['invoices'] = [];
  for (const invoice of facts.filter((f): f is InvoiceFinalizedFact => f.type === 'invoice_finalized')) {
    const own = schedules.filter((s) => s.aggregate === invoice.invoice);
    const total = own.reduce((sum, s) => sum + s.amountMinor, 0n);
    const released = own.filter((s) => s.released).reduce((sum, s) => sum + s.amountMinor, 0n);
    recognized += released;
    deferred += total - released;
    invoices.push({
      invoice_id: invoice.invoice,
      number: null,
      booked_on: localDateOf(invoice.at, tz),
      total_minor: minor(total),
      recognized_minor: minor(released),
      deferred_minor: minor(total - released),
    });
  }
  invoices.sort(
    (a, b) => (a.booked_on ?? '').localeCompare(b.booked_on ?? '') || a.invoice_id.localeCompare(b.invoice_id),
  );
  const currency = tenant.settings.functional_currency;
  return {
    customer_id: customerId,
    currency,
    recognized_minor: minor(recognized),
    deferred_minor: minor(deferred),
    invoices,
    entries,
  };
}
