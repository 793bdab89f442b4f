/**
 * The rule list's table (`recognition_rules`, migration 0044) and its change log (`rule_changes`).
 * Rows are checked with the same schema as every other way in (shared/settings.ts `RuleSchema`).
 */
import { sql } from 'kysely';
import { RuleSchema, type Rule } from '../../../shared/settings.ts';
import type { Db, Tx } from '../../db/database.ts';

/** The tenant's rules in position order. */
export async function loadRules(db: Db | Tx, tenantId: bigint): Promise<Rule[]> {
  const rows = await db
    .selectFrom('recognition_rules')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('position')
    .execute();
  return rows.map((r) =>
    RuleSchema.parse({
      id: r.rule_id,
      position: r.position,
      ...(r.name !== null ? { name: r.name } : {}),
      conditions: r.conditions,
      ...(r.treatment !== null ? { treatment: r.treatment } : {}),
      ...(r.split !== null ? { split: r.split } : {}),
      ...(r.effective_from !== null ? { effective_from: r.effective_from } : {}),
      ...(r.effective_to !== null ? { effective_to: r.effective_to } : {}),
    }),
  );
}

/**
 * The rule list in force: the saved list, or — for a tenant whose rules have never been saved
 * through the rule list (revision 0) — the `rules` of its settings document, as a replay's or a
 * new tenant's settings may give them. One answer for the books and for every screen.
 */
export async function rulesInForce(
  db: Db | Tx,
  tenant: { id: bigint; settings: { rules: readonly Rule[] } },
): Promise<Rule[]> {
  const stored = await loadRules(db, tenant.id);
  if (stored.length > 0 || tenant.settings.rules.length === 0) return stored;
  return (await ruleRevision(db, tenant.id)) === 0 ? [...tenant.settings.rules] : stored;
}

/** Replaces the tenant's rule list (inside the caller's transaction, under the books lock). */
export async function replaceRules(tx: Tx, tenantId: bigint, rules: readonly Rule[]): Promise<void> {
  await tx.deleteFrom('recognition_rules').where('tenant_id', '=', tenantId).execute();
  if (!rules.length) return;
  await tx
    .insertInto('recognition_rules')
    .values(
      rules.map((r) => ({
        tenant_id: tenantId,
        rule_id: r.id,
        position: r.position,
        name: r.name ?? null,
        conditions: JSON.stringify(r.conditions),
        treatment: r.treatment ? JSON.stringify(r.treatment) : null,
        split: r.split ? JSON.stringify(r.split) : null,
        effective_from: r.effective_from ?? null,
        effective_to: r.effective_to ?? null,
      })),
    )
    .execute();
}

/** The id of the tenant's latest rule change (0 before the first): the list's revision. */
export async function ruleRevision(db: Db | Tx, tenantId: bigint): Promise<number> {
  const r = await db
    .selectFrom('rule_changes')
    .select(sql<string | null>`max(id)`.as('id'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return r?.id ? Number(r.id) : 0;
}

/** Records a saved change; its id is the cause of every entry the change posts. */
export async function recordRuleChange(
  tx: Tx,
  tenantId: bigint,
  change: { actor: string; reason: string | null; before: readonly Rule[]; after: readonly Rule[] },
): Promise<bigint> {
  const row = await tx
    .insertInto('rule_changes')
    .values({
      tenant_id: tenantId,
      actor: change.actor,
      reason: change.reason,
      rules_before: JSON.stringify(change.before),
      rules_after: JSON.stringify(change.after),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Stores how many entries a change posted once its re-booking is done. */
export async function setEntriesPosted(tx: Tx, tenantId: bigint, changeId: bigint, posted: number): Promise<void> {
  await tx
    .updateTable('rule_changes')
    .set({ entries_posted: posted })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', changeId)
    .execute();
}
