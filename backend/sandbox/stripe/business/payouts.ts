/** Weekly payouts (Mondays) of everything settled, available and not yet paid out. */
import * as fx from '../fixtures.ts';
import type { Simulation } from './simulation.ts';
import { DAY } from './shape.ts';

export function payOut(sim: Simulation): void {
  const settled = sim.settled;
  settled.sort((a, b) => a.availableOn - b.availableOn);
  let cursor = 0;
  let pending = 0;
  const firstMonday = sim.start + ((8 - new Date(sim.start * 1000).getUTCDay()) % 7) * DAY;
  for (let t = firstMonday; t < sim.end; t += 7 * DAY) {
    while (cursor < settled.length && settled[cursor]!.availableOn <= t) pending += settled[cursor++]!.net;
    if (pending <= 0) continue;
    const poId = sim.id('po');
    const bt = sim.keep(
      fx.balanceTransaction({
        id: sim.id('txn'),
        amount: -pending,
        currency: 'usd',
        created: t,
        type: 'payout',
        source: poId,
      }),
    );
    const po = sim.keep(
      fx.payout(
        { id: poId, amount: pending, currency: 'usd', created: t, balanceTransaction: bt.id },
        { status: 'in_transit', reconciliation_status: 'in_progress' },
      ),
    );
    sim.emit('payout.created', t, po);
    if ((po.arrival_date as number) < sim.end) {
      po.status = 'paid';
      po.reconciliation_status = 'completed';
      sim.emit('payout.paid', po.arrival_date as number, po);
    }
    sim.count('payouts');
    pending = 0;
  }
}
