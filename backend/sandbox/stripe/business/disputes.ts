/**
 * Two disputes on USD charges that were neither refunded nor disputed: one lost, one won. The
 * disputed amount and a fee are withdrawn when it opens; a won dispute reinstates the amount.
 */
import * as fx from '../fixtures.ts';
import type { PaidCharge } from './customers.ts';
import type { Simulation } from './simulation.ts';
import { DAY, DISPUTE_FEE_MINOR } from './shape.ts';

export function openDisputes(sim: Simulation, paidCharges: PaidCharge[]): void {
  const candidates = paidCharges.filter(
    (p) => p.c.currency === 'usd' && (p.charge.amount_refunded as number) === 0 && p.at + 90 * DAY < sim.end,
  );
  for (const [k, outcome] of (['lost', 'won'] as const).entries()) {
    const pick = candidates[Math.floor(((k + 1) * candidates.length) / 3)];
    if (!pick) continue;
    const { charge: ch } = pick;
    const opened = pick.at + 20 * DAY;
    const usd =
      (sim.objects.get(ch.balance_transaction as string)?.amount as number | undefined) ?? (ch.amount as number);
    const dpId = sim.id('dp');
    // Money taken from the balance is gone at once: available when created.
    const withdrawal = sim.keep(
      fx.balanceTransaction(
        {
          id: sim.id('txn'),
          amount: -usd,
          fee: DISPUTE_FEE_MINOR,
          currency: 'usd',
          created: opened,
          type: 'adjustment',
          source: dpId,
          reportingCategory: 'dispute',
        },
        { available_on: opened },
      ),
    );
    sim.settled.push({ availableOn: opened, net: -usd - DISPUTE_FEE_MINOR, currency: 'usd' });
    const dp = sim.keep(
      fx.dispute({
        id: dpId,
        amount: ch.amount as number,
        currency: ch.currency as string,
        charge: ch.id,
        paymentIntent: ch.payment_intent as string,
        created: opened,
        status: 'needs_response',
        balanceTransactions: [withdrawal],
      }),
    );
    ch.disputed = true;
    sim.emit('charge.dispute.created', opened, dp);
    sim.emit('charge.dispute.funds_withdrawn', opened, dp);
    dp.status = 'under_review';
    sim.emit('charge.dispute.updated', opened + 5 * DAY, dp, { status: 'needs_response' });
    const closed = opened + 60 * DAY;
    if (outcome === 'won') {
      const reinstated = sim.keep(
        fx.balanceTransaction({
          id: sim.id('txn'),
          amount: usd,
          currency: 'usd',
          created: closed,
          type: 'adjustment',
          source: dpId,
          reportingCategory: 'dispute_reversal',
        }),
      );
      sim.settled.push({ availableOn: closed + 2 * DAY, net: usd, currency: 'usd' });
      dp.balance_transactions = [withdrawal, reinstated];
      dp.status = 'won';
      sim.emit('charge.dispute.funds_reinstated', closed, dp);
    } else {
      dp.status = 'lost';
    }
    sim.emit('charge.dispute.closed', closed, dp, { status: 'under_review' });
    sim.count(`disputes_${outcome}`);
  }
}
