/**
 * Remaining performance obligations at an as-of date: the engine's schedule of the tenant's
 * facts known by the end of that day, what is scheduled after it, tied to the ledger's deferred
 * revenue less deferred discounts at that date. The as-of date defaults to the last day
 * released; a later one is refused, because revenue earned after it is not in the ledger yet.
 * `rpoReport` serves the CLI (`formatReport`), `getRpo` the App API.
 */
import type { RpoQuery, RpoResponse } from '../../../shared/api/cockpit.ts';
import { RPO_PARTIES_MAX, RpoQuerySchema } from '../../../shared/api/cockpit.ts';
import { runEngine } from '../../../shared/engine/index.ts';
import { AccrueError } from '../../../shared/errors.ts';
import type { LocalDate } from '../../../shared/journal.ts';
import { remainingObligations, type RpoParty, type RpoReport } from '../../../shared/reports/index.ts';
import { addDays, startOfDay } from '../../../shared/time.ts';
import type { Db } from '../../db/database.ts';
import { loadLedgerLines } from '../../ledger/ledger.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { bookingSettings } from '../booking.ts';
import { releasedThrough } from '../process.ts';
import { minor, tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { tenantFacts } from './tenant-facts.ts';

/** The forward schedule of a tenant at `asOf` (default: the last day released). */
export async function rpoReport(
  db: Db,
  tenant: Tenant,
  options: { asOf?: LocalDate | undefined } = {},
): Promise<RpoReport> {
  if (options.asOf !== undefined && !RpoQuerySchema.shape.as_of.safeParse(options.asOf).success)
    throw new AccrueError('invalid_input', `"${options.asOf}" is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31`);
  const released = await releasedThrough(db, tenant.id);
  const asOf = options.asOf ?? released;
  if (asOf > released)
    throw new AccrueError(
      'invalid_input',
      `revenue is released through ${released}; ask for a date on or before it (or run \`accrue release\` first)`,
    );
  const tz = tenant.settings.reporting_time_zone;
  const endOfAsOf = startOfDay(addDays(asOf, 1), tz);
  const facts = (await tenantFacts(db, tenant)).filter((f) => f.at < endOfAsOf);
  const customerOf = new Map<string, string | null>();
  for (const f of facts) if (f.type === 'invoice_finalized') customerOf.set(f.invoice, f.customer);
  const { schedules } = runEngine({ settings: await bookingSettings(db, tenant), facts, through: asOf });
  const schedule = schedules.map((s) => ({
    invoice: s.invoice,
    customer: s.invoice === null ? null : (customerOf.get(s.invoice) ?? null),
    product: s.product,
    postingDate: s.postingDate,
    amountMinor: s.amountMinor,
  }));
  const ledgerLines = await loadLedgerLines(db, tenant.id, {});
  return remainingObligations(schedule, { currency: tenant.settings.functional_currency, asOf, ledgerLines });
}

/** The first RPO_PARTIES_MAX parties and one "(others)" row summing the rest. */
function parties(list: readonly RpoParty[]) {
  const shown = list.slice(0, RPO_PARTIES_MAX);
  const rest = list.slice(RPO_PARTIES_MAX);
  if (rest.length > 0)
    shown.push(
      rest.reduce<RpoParty>(
        (o, p) => ({
          id: '(others)',
          currentMinor: o.currentMinor + p.currentMinor,
          nonCurrentMinor: o.nonCurrentMinor + p.nonCurrentMinor,
          totalMinor: o.totalMinor + p.totalMinor,
        }),
        { id: '(others)', currentMinor: 0n, nonCurrentMinor: 0n, totalMinor: 0n },
      ),
    );
  return shown.map((p) => ({
    id: p.id,
    current_minor: minor(p.currentMinor),
    non_current_minor: minor(p.nonCurrentMinor),
    total_minor: minor(p.totalMinor),
  }));
}

export async function getRpo(deps: Pick<AppDeps, 'db'>, caller: AppCaller, query: RpoQuery): Promise<RpoResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const r = await rpoReport(deps.db, tenant, { asOf: query.as_of });
  return {
    currency: r.currency,
    as_of: r.asOf,
    current_through: r.currentThrough,
    current_minor: minor(r.currentMinor),
    non_current_minor: minor(r.nonCurrentMinor),
    total_minor: minor(r.totalMinor),
    ledger_deferred_minor: minor(r.ledgerDeferredMinor),
    ties_out: r.tiesOut,
    months: r.months.map((m) => ({ month: m.month, amount_minor: minor(m.amountMinor), current: m.current })),
    customers: parties(r.customers),
    products: parties(r.products),
  };
}
