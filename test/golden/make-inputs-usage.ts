/**
 * Writes the inputs of the golden scenarios for usage-based billing (metered lines billed in
 * arrears; unbilled usage accrued at period ends and trued up by the invoice), with the helpers of
 * make-inputs.ts. Expected journals are written by hand from each scenario's README.
 *
 * Run: node bin/run-ts.js test/golden/make-inputs-usage.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { event, invoice, ts } from './make-inputs.ts';

const here = dirname(fileURLToPath(import.meta.url));

type Obj = Record<string, unknown> & { id: string; object: string };

interface Scenario {
  name: string;
  settings: Record<string, unknown>;
  through?: string;
  lines: Obj[];
}

const scenarios: Scenario[] = [];

/** A metered price on `meter`: per unit, or tiered (`tiers` with `tiers_mode`). */
export function meteredPrice(
  id: string,
  meter: string,
  scheme:
    { unit: number } | { mode: 'graduated' | 'volume'; tiers: { upTo: number | null; unit: number; flat: number }[] },
  currency = 'usd',
): Obj {
  const tiered = 'mode' in scheme;
  return {
    id,
    object: 'price',
    active: true,
    billing_scheme: tiered ? 'tiered' : 'per_unit',
    created: ts('2025-12-01'),
    currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: 'prod_api',
    recurring: { interval: 'month', interval_count: 1, meter, usage_type: 'metered', trial_period_days: null },
    tax_behavior: 'exclusive',
    tiers_mode: tiered ? scheme.mode : null,
    ...(tiered
      ? {
          tiers: scheme.tiers.map((t) => ({
            flat_amount: t.flat,
            flat_amount_decimal: String(t.flat),
            unit_amount: t.unit,
            unit_amount_decimal: String(t.unit),
            up_to: t.upTo,
          })),
        }
      : {}),
    transform_quantity: null,
    type: 'recurring',
    unit_amount: tiered ? null : scheme.unit,
    unit_amount_decimal: tiered ? null : String(scheme.unit),
  };
}

export function meter(id: string, eventName: string): Obj {
  return {
    id,
    object: 'billing.meter',
    created: ts('2025-12-01'),
    customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
    default_aggregation: { formula: 'sum' },
    display_name: 'API calls',
    event_name: eventName,
    event_time_window: null,
    livemode: false,
    status: 'active',
    status_transitions: { deactivated_at: null },
    updated: ts('2025-12-01'),
    value_settings: { event_payload_key: 'value' },
  };
}

/** A meter event as reported to Stripe (the fake keeps it under its `identifier`). */
export function meterEvent(identifier: string, eventName: string, customer: string, value: number, at: number): Obj {
  return {
    id: identifier,
    object: 'billing.meter_event',
    created: at,
    event_name: eventName,
    identifier,
    livemode: false,
    payload: { stripe_customer_id: customer, value: String(value) },
    timestamp: at,
  };
}

// 1. A metered line billed in arrears (Jan 15 – Feb 15, 124.00, invoiced Feb 15) beside a licensed
// base fee billed in advance (Feb 15 – Mar 15, 29.00), by_day, accrual off: catch-up puts the
// whole metered line in February; the base fee spreads by day over its own period.
{
  const fin = ts('2026-02-15', 1);
  const inv = invoice({
    id: 'in_arrears',
    customer: 'cus_arrears',
    finalizedAt: fin,
    lines: [
      {
        id: 'il_usage',
        amount: 12400,
        product: 'prod_api',
        price: 'price_api_unit',
        start: ts('2026-01-15'),
        end: ts('2026-02-15'),
      },
      {
        id: 'il_base',
        amount: 2900,
        product: 'prod_base',
        price: 'price_base',
        start: ts('2026-02-15'),
        end: ts('2026-03-15'),
      },
    ],
  });
  add({
    name: 'usage-metered-arrears-catch-up',
    settings: { amortization: 'by_day', accrue_unbilled_usage: false },
    through: '2026-03-31',
    lines: [
      meteredPrice('price_api_unit', 'mtr_calls', { unit: 10 }),
      inv,
      event('evt_ua1', 'invoice.finalized', fin, inv),
    ],
  });
}

// 2. Unbilled usage accrued at period ends and trued up by the invoices that bill it: graduated
// tiers (first 1,000 calls at 0.10, the rest at 0.05), a month anchored on the 15th.
{
  const name = 'api_call';
  const customer = 'cus_metered';
  const base = (id: string, start: string, end: string) => ({
    id,
    amount: 2900,
    product: 'prod_base',
    price: 'price_base',
    start: ts(start),
    end: ts(end),
  });
  const usage = (id: string, amount: number, start: string, end: string) => ({
    id,
    amount,
    product: 'prod_api',
    price: 'price_api_tiered',
    start: ts(start),
    end: ts(end),
  });
  const open = invoice({
    id: 'in_start',
    customer,
    finalizedAt: ts('2026-01-15', 1),
    lines: [base('il_base0', '2026-01-15', '2026-02-15'), usage('il_usage0', 0, '2026-01-15', '2026-02-15')],
  });
  const feb = invoice({
    id: 'in_feb',
    customer,
    finalizedAt: ts('2026-02-15', 1),
    lines: [usage('il_usage1', 12500, '2026-01-15', '2026-02-15'), base('il_base1', '2026-02-15', '2026-03-15')],
  });
  const mar = invoice({
    id: 'in_mar',
    customer,
    finalizedAt: ts('2026-03-15', 1),
    lines: [usage('il_usage2', 3500, '2026-02-15', '2026-03-15'), base('il_base2', '2026-03-15', '2026-04-15')],
  });
  add({
    name: 'usage-unbilled-accrual-true-up',
    settings: {},
    through: '2026-03-31',
    lines: [
      meter('mtr_api', name),
      meteredPrice('price_api_tiered', 'mtr_api', {
        mode: 'graduated',
        tiers: [
          { upTo: 1000, unit: 10, flat: 0 },
          { upTo: null, unit: 5, flat: 0 },
        ],
      }),
      meterEvent('mev_1', name, customer, 700, ts('2026-01-20', 9)),
      meterEvent('mev_2', name, customer, 500, ts('2026-01-28', 14)),
      meterEvent('mev_3', name, customer, 300, ts('2026-02-10', 8)),
      meterEvent('mev_4', name, customer, 400, ts('2026-02-20', 16)),
      open,
      feb,
      mar,
      event('evt_uu1', 'invoice.finalized', ts('2026-01-15', 1), open),
      event('evt_uu2', 'invoice.finalized', ts('2026-02-15', 1), feb),
      event('evt_uu3', 'invoice.finalized', ts('2026-03-15', 1), mar),
    ],
  });
}

// 3. Usage priced in EUR on USD books: 1,000 calls at 0.10 EUR accrued at Jan 31 (rate 1.10), the
// invoice of Feb 15 bills 1,300 calls (130.00 EUR) at its own rate (1.20).
{
  const name = 'api_call_eur';
  const customer = 'cus_eur';
  const usage = (id: string, amount: number, start: string, end: string) => ({
    id,
    amount,
    product: 'prod_api',
    price: 'price_api_eur',
    start: ts(start),
    end: ts(end),
  });
  const open = invoice({
    id: 'in_eurstart',
    customer,
    currency: 'eur',
    finalizedAt: ts('2026-01-15', 1),
    lines: [usage('il_eur0', 0, '2026-01-15', '2026-02-15')],
  });
  const feb = invoice({
    id: 'in_eurfeb',
    customer,
    currency: 'eur',
    finalizedAt: ts('2026-02-15', 1),
    lines: [usage('il_eur1', 13000, '2026-01-15', '2026-02-15')],
  });
  add({
    name: 'usage-foreign-accrual-true-up',
    settings: {
      fx_rates: [
        { date: '2026-01-15', from: 'eur', to: 'usd', rate: '1.10' },
        { date: '2026-02-01', from: 'eur', to: 'usd', rate: '1.20' },
      ],
    },
    through: '2026-02-28',
    lines: [
      meter('mtr_api_eur', name),
      meteredPrice('price_api_eur', 'mtr_api_eur', { unit: 10 }, 'eur'),
      meterEvent('mev_eur1', name, customer, 1000, ts('2026-01-20', 9)),
      meterEvent('mev_eur2', name, customer, 300, ts('2026-02-05', 9)),
      open,
      feb,
      event('evt_ue1', 'invoice.finalized', ts('2026-01-15', 1), open),
      event('evt_ue2', 'invoice.finalized', ts('2026-02-15', 1), feb),
    ],
  });
}

function add(s: Scenario): void {
  scenarios.push(s);
}

export const USAGE_SCENARIOS: readonly Scenario[] = scenarios;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const s of scenarios) {
    const dir = join(here, s.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'input.jsonl'), s.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(s.settings, null, 2) + '\n');
    if (s.through) writeFileSync(join(dir, 'scenario.json'), JSON.stringify({ through: s.through }, null, 2) + '\n');
  }
  console.log(`wrote ${scenarios.length} scenarios`);
}
