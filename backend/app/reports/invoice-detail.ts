/** The invoice drill-down: its schedule per obligation and the journal entries that touch it. */
import type { InvoiceDetailResponse } from '../../../shared/api/app.ts';
import type { InvoiceFinalizedFact } from '../../../shared/engine/facts.ts';
import { AccrueError } from '../../../shared/errors.ts';
import { localDateOf } from '../../../shared/time.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { entriesFor } from './entries.ts';
import { factsOf, scheduleItems, schedulesOf } from './schedules.ts';

/**
 * The invoice's human number from Stripe (facts do not keep it). Best effort: the drill-down is
 * about our books, so a Stripe that is slow or unreachable leaves the number blank, not an error.
 */
async function invoiceNumberOf(
  deps: Pick<AppDeps, 'stripe' | 'log'>,
  tenant: Tenant,
  invoiceId: string,
): Promise<string | null> {
  if (!deps.stripe) return null;
  try {
    const invoice = await deps.stripe.invoices.retrieve(invoiceId, {}, { stripeAccount: tenant.accountId });
    return invoice.number ?? null;
  } catch (error) {
    deps.log?.debug({ err: error, invoice: invoiceId }, 'invoice number not available from Stripe');
    return null;
  }
}

/** `not_found` when nothing is booked for the invoice (no fact and no entry). */
export async function getInvoiceDetail(
  deps: Pick<AppDeps, 'db' | 'stripe' | 'log'>,
  caller: AppCaller,
  invoiceId: string,
): Promise<InvoiceDetailResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const facts = await factsOf(deps.db, tenant, [invoiceId]);
  const entries = await entriesFor(deps.db, tenant, { invoice: invoiceId });
  if (facts.length === 0 && entries.length === 0)
    throw new AccrueError('not_found', `Nothing is booked for invoice ${invoiceId}.`);
  const finalized = facts.find((f): f is InvoiceFinalizedFact => f.type === 'invoice_finalized');
  const schedules = (await schedulesOf(deps.db, tenant, facts)).filter(
    (s) => s.invoice === invoiceId || s.aggregate === invoiceId,
  );
  return {
    invoice_id: invoiceId,
    number: await invoiceNumberOf(deps, tenant, invoiceId),
    customer_id: finalized?.customer ?? null,
    currency: tenant.settings.functional_currency,
    booked_on: finalized ? localDateOf(finalized.at, tenant.settings.reporting_time_zone) : null,
    schedule: scheduleItems(tenant, schedules, finalized),
    entries,
  };
}
