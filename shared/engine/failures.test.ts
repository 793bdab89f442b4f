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
// A line discounted to nothing, with discounts as contra, leaves nothing to split gross and discount by.
const refused = invoice('in_refused', 1000n);
// A programming error: a fact missing a field its type promises makes the engine hit a TypeError.
const broken = { ...invoice('in_broken', 0n), lines: undefined } as unknown as Fact;

describe('engine failures', () => {
  it('books data it refuses as an exception row of that aggregate only', () => {
    const { entries, exceptions } = runEngine({
      settings: contra,
      facts: [refused, invoice('in_fine', 0n)],
      through: '2026-12-31',
    });
    expect(exceptions).toEqual([
      {
        aggregate: 'in_refused',
        objectId: 'in_refused',
        factKey: null,
        reason: 'could not book: allocateSigned: weights sum to zero',
      },
    ]);
    expect(entries.some((e) => e.key.includes('in_refused'))).toBe(false);
    expect(entries.some((e) => e.key === 'inv:in_fine:finalized')).toBe(true);
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
