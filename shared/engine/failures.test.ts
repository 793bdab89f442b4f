// Proves how the engine fails: data it cannot book becomes an exception row for that aggregate
// only, while a programming error (a TypeError, a broken invariant, an unbalanced entry) fails
// the run under tests; outside tests such a bug is recorded, labelled as an internal error with
// its stack.
import { AccrueError } from '../errors.ts';
import { defaultSettings, type TenantSettings } from '../settings.ts';
import { startOfDay } from '../time.ts';
import type { Fact, InvoiceFinalizedFact, InvoiceLineFact } from './facts.ts';
import { classifyFailure, EngineInvariantError, EngineRefusal, failureReason, failureStopsRun } from './failures.ts';
import { runEngine } from './index.ts';
import { currency as currencyOf } from '../money.ts';

const T0 = startOfDay('2026-01-01', 'UTC');
const DAY = 86_400;

function invoice(id: string, discount: bigint): InvoiceFinalizedFact {
  const line: InvoiceLineFact = {
    id: `${id}_l0`,
    amountMinor: 1000n,
    discountMinor: discount,
    creditMinor: 0n,
    inclusiveTaxMinor: 0n,
    exclusiveTaxMinor: 0n,
    periodStart: T0,
    periodEnd: T0 + 31 * DAY,
    product: 'prod_x',
    price: null,
    proration: false,
    invoiceItem: null,
    pendingItemCreatedAt: null,
    description: null,
  };
  const total = 1000n - discount;
  return {
    type: 'invoice_finalized',
    invoice: id,
    customer: 'cus_1',
    currency: currencyOf('usd'),
    at: T0,
    totalMinor: total,
    taxMinor: 0n,
    startingBalanceMinor: 0n,
    endingBalanceMinor: 0n,
    lines: [line],
  };
}

/** Runs `body` as production would: without the variables test runners set. */
function outsideTests<T>(body: () => T): T {
  const saved = { VITEST: process.env.VITEST, NODE_ENV: process.env.NODE_ENV };
  delete process.env.VITEST;
  delete process.env.NODE_ENV;
  try {
    return body();
  } finally {
    for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
  }
}

const contra: TenantSettings = { ...defaultSettings(), discounts_as_contra: true };
const YEARS_60 = 60 * 366 * DAY;
// A pending item over more than 50 years: a refusal of the data, for the whole item.
const refusedItem: Fact = {
  type: 'invoice_item',
  invoiceItem: 'ii_refused',
  customer: 'cus_1',
  amountMinor: 700n,
  currency: currencyOf('usd'),
  periodStart: T0,
  periodEnd: T0 + YEARS_60,
  product: 'prod_x',
  price: null,
  proration: false,
  at: T0,
};
// A programming error: a fact missing a field its type promises makes the engine hit a TypeError.
const broken = { ...invoice('in_broken', 0n), lines: undefined } as unknown as Fact;

describe('engine failures', () => {
  it('books data it refuses as an exception row of that aggregate only, saying what is not booked', () => {
    const { entries, exceptions } = runEngine({
      settings: contra,
      facts: [refusedItem, invoice('in_fine', 0n)],
      through: '2026-12-31',
    });
    expect(exceptions).toEqual([
      {
        aggregate: 'ii_refused',
        objectId: 'ii_refused',
        factKey: null,
        reason: 'could not book: service period longer than 50 years; not booked: 1 fact(s) of ii_refused',
      },
    ]);
    expect(entries.some((e) => e.key.includes('ii_refused'))).toBe(false);
    expect(entries.some((e) => e.key === 'inv:in_fine:finalized')).toBe(true);
  });

  it('books a line discounted to nothing with discounts as contra: gross revenue and an equal discount', () => {
    const { entries, exceptions } = runEngine({
      settings: contra,
      facts: [invoice('in_free', 1000n)],
      through: '2026-01-31',
    });
    expect(exceptions).toEqual([]);
    const finalized = entries.find((e) => e.key === 'inv:in_free:finalized')!;
    expect(finalized.lines.map((l) => [l.role, l.amountMinor])).toEqual([
      ['deferred_revenue', -1000n],
      ['deferred_discounts', 1000n],
    ]);
    const recognized = entries.find((e) => e.key === 'rec:in_free:2026-01')!;
    expect(recognized.lines.map((l) => [l.role, l.amountMinor])).toEqual([
      ['deferred_revenue', 1000n],
      ['revenue', -1000n],
      ['deferred_discounts', -1000n],
      ['discounts', 1000n],
    ]);
  });

  it('holds a line its rule refuses and books the rest of the invoice and its payment, naming the amount held', () => {
    const base = invoice('in_part', 0n);
    const refusedLine: InvoiceLineFact = {
      ...base.lines[0]!,
      id: 'il_long',
      amountMinor: 500n,
      periodEnd: T0 + YEARS_60,
    };
    const fact: InvoiceFinalizedFact = { ...base, totalMinor: 1500n, lines: [base.lines[0]!, refusedLine] };
    const payment: Fact = {
      type: 'payment',
      invoice: 'in_part',
      payment: 'ch_part',
      method: 'stripe',
      amountMinor: 1500n,
      currency: currencyOf('usd'),
      at: T0 + DAY,
      balanceTransaction: null,
    };
    const { entries, exceptions } = runEngine({
      settings: defaultSettings(),
      facts: [fact, payment],
      through: '2026-01-31',
    });
    expect(exceptions).toHaveLength(1);
    expect(exceptions[0]!.objectId).toBe('il_long');
    expect(exceptions[0]!.reason).toContain('its 5.00 USD is held in deferred revenue');
    expect(exceptions[0]!.reason).toContain('service period longer than 50 years');
    const finalized = entries.find((e) => e.key === 'inv:in_part:finalized')!;
    expect(finalized.lines.map((l) => [l.role, l.invoiceLine ?? null, l.amountMinor])).toEqual([
      ['receivable', null, 1500n],
      ['deferred_revenue', 'in_part_l0', -1000n],
      ['deferred_revenue', 'il_long', -500n],
    ]);
    expect(entries.some((e) => e.key === 'pay:in_part:ch_part')).toBe(true);
    const recognized = entries.find((e) => e.key === 'rec:in_part:2026-01')!;
    expect(recognized.lines.every((l) => l.invoiceLine === 'in_part_l0')).toBe(true);
  });

  it('lets a programming error propagate under tests', () => {
    expect(() => runEngine({ settings: defaultSettings(), facts: [broken], through: '2026-12-31' })).toThrow(TypeError);
  });

  it('outside tests, records a programming error as an internal error with its stack', () => {
    const { exceptions } = outsideTests(() =>
      runEngine({ settings: defaultSettings(), facts: [broken, invoice('in_fine', 0n)], through: '2026-12-31' }),
    );
    expect(exceptions).toHaveLength(1);
    expect(exceptions[0]!.aggregate).toBe('in_broken');
    expect(exceptions[0]!.reason).toMatch(
      /^internal error in the engine \(a bug, not a problem with the data\): TypeError: /,
    );
    expect(exceptions[0]!.reason).toContain('\n    at ');
  });

  it('classifies refusals and bugs', () => {
    expect(classifyFailure(new EngineRefusal('no'))).toBe('refusal');
    expect(classifyFailure(new AccrueError('invalid_input', 'service period longer than 50 years'))).toBe('refusal');
    expect(classifyFailure(new AccrueError('unbalanced_entry', 'entry x does not balance'))).toBe('bug');
    expect(classifyFailure(new EngineInvariantError('allocateSigned: remainder left over'))).toBe('bug');
    expect(classifyFailure(new RangeError('Invalid array length'))).toBe('bug');
    expect(classifyFailure('thrown string')).toBe('bug');
    expect(failureReason(new EngineRefusal('weights sum to zero'))).toBe('could not book: weights sum to zero');
  });

  it('stops the run on a bug under tests, and on an unbalanced entry always', () => {
    const unbalanced = new AccrueError('unbalanced_entry', 'entry x does not balance');
    expect(failureStopsRun(new TypeError('x'))).toBe(true);
    expect(failureStopsRun(new EngineRefusal('no'))).toBe(false);
    expect(outsideTests(() => failureStopsRun(new TypeError('x')))).toBe(false);
    expect(outsideTests(() => failureStopsRun(unbalanced))).toBe(true);
  });
});
