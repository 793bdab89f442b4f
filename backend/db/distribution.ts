/**
 * How Accrue's tables would be placed in a distributed PostgreSQL (Citus) sharded by tenant: which
 * tables are replicated to every node (reference), which stay on the coordinator only (local), and
 * the order in which the tenant tables are distributed (a table after the tables its foreign keys
 * name). ARCHITECTURE.md's "Scaling out" prints the statements `citusStatements()` returns, and
 * `test/integration/tenant-keys.test.ts` checks the migrated schema against this file: every table
 * is placed, and every tenant table's keys contain `tenant_id`.
 */

/** Small, rarely written, referenced by tenant tables' foreign keys: a copy on every node. */
export const REFERENCE_TABLES = ['tenants'] as const;

/** Global tables that no tenant table references: kept on the coordinator. pg-boss's schema stays there too. */
export const LOCAL_TABLES = ['admin_keys', 'admin_audit', 'qbo_oauth_nonces', 'rate_limit_windows'] as const;

/** Tables sharded by `tenant_id`, colocated with the first; each after the tables it references. */
export const DISTRIBUTED_TABLES = [
  'accounts',
  'tenant_settings_history',
  'periods',
  'period_audit',
  'journal_entries',
  'journal_lines',
  'stripe_events',
  'inbox_counters',
  'stripe_facts',
  'exceptions',
  'release_state',
  'backfill_progress',
  'backfill_objects',
  'qbo_connections',
  'qbo_customers',
  'qbo_sync',
  'qbo_realm_budget',
  'qbo_call_leases',
  'qbo_connect_attempts',
  'qbo_connect_failures',
  'fx_provider_rates',
  'approval_requests',
  'approval_events',
  'recognition_rules',
  'rule_changes',
  'app_audit',
] as const;

/** The statements that place every table, in order. */
export function citusStatements(): string[] {
  const [first, ...rest] = DISTRIBUTED_TABLES;
  return [
    ...REFERENCE_TABLES.map((t) => `SELECT create_reference_table('${t}');`),
    `SELECT create_distributed_table('${first}', 'tenant_id');`,
    ...rest.map((t) => `SELECT create_distributed_table('${t}', 'tenant_id', colocate_with => '${first}');`),
  ];
}
