/**
 * Weekly automatic payouts (Mondays), one per Stripe balance: everything settled in that currency,
 * available by then and not yet paid out, as Stripe's automatic payouts sweep it (the fake lists
 * the same balance transactions for `GET /v1/balance_transactions?payout=…`). A EUR balance pays
 * out in EUR to the account's EUR bank account.
 */
import * as fx from '../fixtures.ts';
import type { Simulation } from './simulation.ts';
import { DAY, type SettlementCurrency } from './shape.ts';

export function payOut(sim: Simulation): void {
  const currencies = [...new Set(sim.settled.map((s) => s.currency))].sort((a, b) =>
    a === 'usd' ? -1 : b === 'usd' ? 1 : a < b ? -1 : 1,
  );
  const sweeps = currencies.map((currency) => ({
    currency,
    settled: sim.settled.filter((s) => s.currency === currency).sort((a, b) => a.availableOn - b.availableOn),
    cursor: 0,
    pending: 0,
  }));
  const firstMonday = sim.start + ((8 - new Date(sim.start * 1000).getUTCDay()) % 7) * DAY;
  for (let t = firstMonday; t < sim.end; t += 7 * DAY) {
    for (const sweep of sweeps) {
      while (sweep.cursor < sweep.settled.length && sweep.settled[sweep.cursor]!.availableOn <= t)
        sweep.pending += sweep.settled[sweep.cursor++]!.net;
      if (sweep.pending <= 0) continue;
      payoutOf(sim, sweep.currency, sweep.pending, t);
      sweep.pending = 0;
    }
  }
}

/** One paid automatic payout with its balance transaction and events. */
function payoutOf(sim: Simulation, currency: SettlementCurrency, amount: number, t: number): void {
  const poId = sim.id('po');
  const bt = sim.keep(
    fx.balanceTransaction(
      { id: sim.id('txn'), amount: -amount, currency, created: t, type: 'payout', source: poId },
      { available_on: t },
    ),
  );
  const po = sim.keep(
    fx.payout(
      { id: poId, amount, currency, created: t, balanceTransaction: bt.id },
      {
        status: 'in_transit',
        reconciliation_status: 'in_progress',
        destination: currency === 'usd' ? 'ba_default' : `ba_${currency}`,
      },
    ),
  );
  sim.emit('payout.created', t, po);
  if ((po.arrival_date as number) < sim.end) {
    po.status = 'paid';
    po.reconciliation_status = 'completed';
    sim.emit('payout.paid', po.arrival_date as number, po);
  }
  sim.count(currency === 'usd' ? 'payouts' : `payouts_${currency}`);
}
