/** A tenant's stored facts, all of them or of some types, for the reports that read facts. */
import { sql } from 'kysely';
import { parseFact, type Fact, type FactType } from '../../../shared/engine/facts.ts';
import type { Db } from '../../db/database.ts';
import type { Tenant } from '../../ledger/tenants.ts';

/** The tenant's facts in fact-key order; only `types` when given. */
export async function tenantFacts(db: Db, tenant: Tenant, types?: readonly FactType[]): Promise<Fact[]> {
  let q = db.selectFrom('stripe_facts').select(['fact']).where('tenant_id', '=', tenant.id);
  if (types !== undefined) {
    if (types.length === 0) return [];
    q = q.where(sql<string>`fact->>'type'`, 'in', [...types]);
  }
  const rows = await q.orderBy('fact_key').execute();
  return rows.map((r) => parseFact(r.fact));
}
