/** The catalogue: four products and a price per plan and currency, a month before the first day. */
import * as fx from '../fixtures.ts';
import type { Simulation } from './simulation.ts';
import { ANNUAL, DAY, PLAN_PRODUCT, PRICES, priceId, type PlanKey } from './shape.ts';

export function createCatalogue(sim: Simulation): void {
  const catalogueAt = sim.start - 30 * DAY;
  sim.keep(fx.product({ id: 'prod_Starter', name: 'Starter', created: catalogueAt }));
  sim.keep(fx.product({ id: 'prod_Pro', name: 'Pro', created: catalogueAt }));
  sim.keep(
    fx.product(
      { id: 'prod_ProSupportBundle', name: 'Pro + Premium Support (bundle)', created: catalogueAt },
      { metadata: { bundle: 'pro_license,premium_support' } },
    ),
  );
  sim.keep(fx.product({ id: 'prod_SetupFee', name: 'Onboarding & setup', created: catalogueAt }));
  for (const plan of Object.keys(PRICES) as (PlanKey | 'setup_fee')[]) {
    for (const cur of ['usd', 'eur', 'jpy'] as const) {
      const interval = plan === 'setup_fee' ? null : ANNUAL.has(plan) ? 'year' : 'month';
      sim.keep(
        fx.price({
          id: priceId(plan, cur),
          product: PLAN_PRODUCT[plan],
          unitAmount: PRICES[plan][cur],
          currency: cur,
          created: catalogueAt,
          interval,
        }),
      );
    }
  }
}
