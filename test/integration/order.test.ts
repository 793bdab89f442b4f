/**
 * Proves that delivery order and timing do not change the books, scenario by scenario: every
 * golden scenario's events, each stored and drained on its own (so every event meets the books as
 * the events before it left them), in reverse order and in a shuffled order, book exactly the
 * journal of in-order delivery. Stripe delivers a request's events in no fixed order; this is the
 * strict form of that (the pipeline test shuffles one long stream in slices). And as live: in
 * Stripe's order, with revenue released through the day before each event (as the daily tick
 * does), the journal equals the replay's, which releases once at the end.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { drainInbox, releaseThrough } from '../../backend/app/process.ts';
import { addDays, localDateOf } from '../../shared/time.ts';
import { deliver, eventsOf, freshBooks, goldenLines, prng, settle } from '../support/scenario.ts';

const GOLDEN = join(import.meta.dirname, '..', 'golden');
const SCENARIOS = readdirSync(GOLDEN).filter((n) => existsSync(join(GOLDEN, n, 'input.jsonl')));
/** Far enough out that every scenario's last period is released. */
const DEFAULT_THROUGH = '2027-12-31';

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rand = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('each golden scenario, one drain per event', () => {
  it('covers every scenario', () => {
    expect(SCENARIOS.length).toBeGreaterThan(30);
  });

  it('covers shipping, zero-net lines and a charge that no invoice payment names', () => {
    expect(SCENARIOS).toEqual(
      expect.arrayContaining([
        'shipping-own-obligation',
        'shipping-credit-note',
        'zero-net-line',
        'zero-net-line-as-contra',
        'charge-matched-to-open-invoice',
      ]),
    );
  });

  it('covers a foreign Stripe balance paid out at another rate, and a revaluation reversed the next day', () => {
    expect(SCENARIOS).toEqual(expect.arrayContaining(['fx-eur-balance-payout', 'fx-revaluation-reversed']));
  });

  it('covers billing credits, stored value and cancellation credit notes', () => {
    expect(SCENARIOS).toEqual(
      expect.arrayContaining([
        'credits-paid-grant-expires',
        'credits-promotional-net',
        'credits-paid-grant-voided-escheat',
        'credits-breakage-rate',
        'stored-value-gift-card',
        'stored-value-breakage-rate-escheat',
        'termination-credit-proportional',
        'termination-credit-unsatisfied-first',
      ]),
    );
  });

  it("covers a Connect platform's transfers: separate charge and transfer, destination charges agent and gross, a refund with its reversal and fee refund", () => {
    expect(SCENARIOS).toEqual(
      expect.arrayContaining([
        'connect-separate-charge-transfer',
        'connect-destination-charge-agent',
        'connect-destination-charge-gross',
        'connect-destination-charge-invoice-agent',
        'connect-destination-charge-refund',
        'connect-destination-charge-refund-gross',
      ]),
    );
  });

  it('covers usage billed in arrears and unbilled usage accrued at period ends then trued up', () => {
    expect(SCENARIOS).toEqual(
      expect.arrayContaining(['usage-metered-arrears-catch-up', 'usage-unbilled-accrual-true-up']),
    );
  });

  /**
   * Scenarios whose live order books an entry before a later event changes it: a paid credit grant
   * that names, in its metadata, the invoice that sold it is created after that invoice was booked,
   * so live books move the sale from deferred revenue to prepaid credits by an adjustment.
   */
  const LIVE_CORRECTS = new Set(['credits-paid-grant-sale-by-metadata']);

  /** Net amount per period, account and currency of a journal CSV, in minor units (zeros left out). */
  function balances(csv: string): Record<string, bigint> {
    const [head, ...rows] = csv.trim().split('\n');
    const col = Object.fromEntries(head!.split(',').map((n, i) => [n, i]));
    const minor = (v: string | undefined) => (v ? BigInt(v.replace('.', '')) : 0n);
    const out: Record<string, bigint> = {};
    for (const row of rows) {
      const f = row.split(',');
      const key = [f[col.period!], f[col.account!], f[col.currency!]].join(' ');
      out[key] = (out[key] ?? 0n) + minor(f[col.debit!]) - minor(f[col.credit!]);
    }
    // An account the adjustment passed through nets to nothing, as if never touched.
    return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== 0n));
  }

  SCENARIOS.forEach((name, i) => {
    it(`books the in-order journal in reverse and shuffled order, and as live: ${name}`, async () => {
      const lines = goldenLines([name]);
      const events = eventsOf(lines);
      const settings = JSON.parse(readFileSync(join(GOLDEN, name, 'settings.json'), 'utf8')) as Record<string, unknown>;
      const scenarioFile = join(GOLDEN, name, 'scenario.json');
      const through =
        (existsSync(scenarioFile)
          ? (JSON.parse(readFileSync(scenarioFile, 'utf8')) as { through?: string }).through
          : undefined) ?? DEFAULT_THROUGH;
      const account = events[0]!.account!;
      const zone = (settings['reporting_time_zone'] as string | undefined) ?? 'UTC';
      const journal = async (order: Stripe.Event[], mode: 'at once' | 'one by one' | 'live'): Promise<string> => {
        const b = await freshBooks(lines, account, settings);
        try {
          if (mode === 'at once') await deliver(b, order);
          else
            for (const e of order) {
              if (mode === 'live') {
                const dayBefore = addDays(localDateOf(e.created, zone), -1);
                await releaseThrough(b.deps, b.tenant.id, dayBefore < through ? dayBefore : through);
              }
              await deliver(b, [e]);
              await drainInbox(b.deps, b.tenant.id);
            }
          return await settle(b, through);
        } finally {
          await b.close();
        }
      };
      const inOrder = await journal(events, 'at once');
      expect(inOrder.split('\n').length).toBeGreaterThan(2);
      expect(await journal([...events].reverse(), 'one by one')).toBe(inOrder);
      expect(await journal(shuffled(events, i + 1), 'one by one')).toBe(inOrder);
      const live = await journal(
        [...events].sort((a, b) => a.created - b.created),
        'live',
      );
      if (LIVE_CORRECTS.has(name)) {
        // The live books made the entry before the fact that changes it arrived: same balances in
        // every period, reached through an adjustment entry.
        expect(live).not.toBe(inOrder);
        expect(balances(live)).toEqual(balances(inOrder));
      } else expect(live).toBe(inOrder);
    });
  });
});
