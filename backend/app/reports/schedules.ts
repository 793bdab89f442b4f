/**
 * Revenue schedules for the drill-downs: the stored facts of some aggregates, run through the
 * engine up to what has been released, grouped per performance obligation.
 */
import { bookingSettings } from '../booking.ts';
import type { ScheduleLine as ScheduleLineItem } from '../../../shared/api/app.ts';
import { runEngine, type ScheduleLine } from '../../../shared/engine/index.ts';
import { parseFact, type Fact, type InvoiceFinalizedFact, type InvoiceLineFact } from '../../../shared/engine/facts.ts';
import { addDays, localDateOf } from '../../../shared/time.ts';
import type { Db } from '../../db/database.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { minor } from '../app-api/support.ts';
import { releasedThrough } from '../process.ts';

/** The stored facts of the aggregates, in fact-key order. */
export async function factsOf(db: Db, tenant: Tenant, aggregates: readonly string[]): Promise<Fact[]> {
  if (aggregates.length === 0) return [];
  const rows = await db
    .selectFrom('stripe_facts')
    .select(['fact'])
    .where('tenant_id', '=', tenant.id)
    .where('aggregate', 'in', [...aggregates])
    .orderBy('fact_key')
    .execute();
  return rows.map((r) => parseFact(r.fact));
}

/** Schedules the engine derives for `facts`, up to what has been released. */
export async function schedulesOf(db: Db, tenant: Tenant, facts: Fact[]): Promise<ScheduleLine[]> {
  if (facts.length === 0) return [];
  const through = await releasedThrough(db, tenant.id);
  return runEngine({ settings: await bookingSettings(db, tenant), facts, through }).schedules;
}

function byObligation(schedules: readonly ScheduleLine[]): Map<string, ScheduleLine[]> {
  const out = new Map<string, ScheduleLine[]>();
  for (const s of schedules) {
    const list = out.get(s.obligation) ?? [];
    list.push(s);
    out.set(s.obligation, list);
  }
  return out;
}

/** Amount, recognized amount, and per posting period the amount and whether all of it is recognized. */
function totalsOf(list: readonly ScheduleLine[]) {
  const periods = new Map<string, { amountMinor: bigint; recognized: boolean }>();
  let amount = 0n;
  let recognized = 0n;
  for (const s of list) {
    amount += s.amountMinor;
    if (s.released) recognized += s.amountMinor;
    const current = periods.get(s.postingPeriod) ?? { amountMinor: 0n, recognized: true };
    current.amountMinor += s.amountMinor;
    current.recognized = current.recognized && s.released;
    periods.set(s.postingPeriod, current);
  }
  return { amount, recognized, periods };
}

/**
 * One item per performance obligation. The service period is the invoice line's when it has one;
 * otherwise it spans the first to the day after the last posting date.
 */
export function scheduleItems(
  tenant: Tenant,
  schedules: readonly ScheduleLine[],
  invoice: InvoiceFinalizedFact | undefined,
): ScheduleLineItem[] {
  const tz = tenant.settings.reporting_time_zone;
  const linesById = new Map<string, InvoiceLineFact>((invoice?.lines ?? []).map((l) => [l.id, l]));
  const out: ScheduleLineItem[] = [];
  for (const [obligation, list] of byObligation(schedules)) {
    const first = list[0]!;
    const line = first.invoiceLine ? linesById.get(first.invoiceLine) : undefined;
    const { amount, recognized, periods } = totalsOf(list);
    const dates = list.map((s) => s.postingDate).sort();
    const hasPeriod = line !== undefined && line.periodEnd > line.periodStart;
    const start = hasPeriod ? localDateOf(line.periodStart, tz) : dates[0]!;
    const end = hasPeriod ? localDateOf(line.periodEnd, tz) : addDays(dates[dates.length - 1]!, 1);
    out.push({
      invoice_line: first.invoiceLine ?? obligation,
      description:
        line?.description ??
        (obligation === first.invoiceLine ? obligation : `${first.invoiceLine ?? ''} ${obligation}`.trim()),
      product: first.product,
      service_start: start,
      service_end: end > start ? end : addDays(start, 1),
      amount_minor: minor(amount),
      recognized_minor: minor(recognized),
      deferred_minor: minor(amount - recognized),
      periods: [...periods]
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([period, v]) => ({ period, amount_minor: minor(v.amountMinor), recognized: v.recognized })),
    });
  }
  return out;
}
