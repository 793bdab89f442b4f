/**
 * Row types of every table, as Kysely sees them. int8 columns arrive as bigint (see
 * database.ts), DATE columns as 'YYYY-MM-DD' strings, NUMERIC as strings.
 */
import type { ColumnType, Generated } from 'kysely';
import type { Currency } from '../../shared/money.ts';

type Id = ColumnType<bigint, bigint | number | string | undefined, never>;
type Ref = ColumnType<bigint, bigint | number | string, bigint | number | string>;

export interface TenantsTable {
  id: Id;
  stripe_account_id: string;
  livemode: boolean;
  status: Generated<'active' | 'disabled'>;
  settings: ColumnType<unknown, string, string>;
  settings_version: Generated<number>;
  created_at: Generated<Date>;
  disabled_at: Date | null;
}

export interface TenantSettingsHistoryTable {
  tenant_id: Ref;
  version: number;
  settings: ColumnType<unknown, string, never>;
  changed_by: string;
  changed_at: Generated<Date>;
}

export interface AccountsTable {
  id: Id;
  tenant_id: Ref;
  role: string;
  name: string;
  external_id: string | null;
  external_type: string | null;
  created_at: Generated<Date>;
}

export interface PeriodsTable {
  tenant_id: Ref;
  key: string;
  start_date: string;
  end_date: string;
  status: Generated<'open' | 'closed'>;
  closed_at: Date | null;
  closed_by: string | null;
}

export interface PeriodAuditTable {
  id: Id;
  tenant_id: Ref;
  period_key: string;
  action: 'close' | 'reopen';
  actor: string;
  reason: string | null;
  at: Generated<Date>;
}

export interface JournalEntriesTable {
  id: Id;
  tenant_id: Ref;
  idempotency_key: string;
  body_hash: string;
  kind: string;
  posting_date: string;
  period_key: string;
  original_date: string | null;
  correction: Generated<boolean>;
  cause: string | null;
  memo: Generated<string>;
  sources: ColumnType<string[], string[] | undefined, never>;
  reverses_entry_id: ColumnType<bigint | null, bigint | number | string | null | undefined, never>;
  created_txid: Generated<bigint>;
  created_at: Generated<Date>;
}

export interface JournalLinesTable {
  entry_id: Ref;
  line_no: number;
  tenant_id: Ref;
  account_id: Ref;
  amount_minor: Ref;
  currency: Currency;
  original_currency: Currency | null;
  original_amount_minor: ColumnType<bigint | null, bigint | null | undefined, never>;
  fx_rate: string | null;
  memo: string | null;
  customer: string | null;
  invoice: string | null;
  invoice_line: string | null;
  product: string | null;
  booked_on: string | null;
}

export interface StripeEventsTable {
  id: string;
  /** Arrival order within the tenant: reserved from `inbox_counters` by `backend/inbox/`, or by a trigger when omitted. */
  seq: Generated<bigint>;
  tenant_id: Ref;
  type: string;
  created: Ref;
  object_id: string | null;
  payload: ColumnType<unknown, string, never>;
  source: Generated<'webhook' | 'backfill' | 'replay'>;
  status: Generated<'pending' | 'processed' | 'ignored' | 'failed'>;
  attempts: Generated<number>;
  last_error: string | null;
  received_at: Generated<Date>;
  processed_at: Date | null;
}

export interface StripeFactsTable {
  tenant_id: Ref;
  fact_key: string;
  aggregate: string;
  fact: ColumnType<unknown, string, string>;
  fact_hash: string;
  event_id: string | null;
  updated_at: Generated<Date>;
}

export interface ExceptionsTable {
  id: Id;
  tenant_id: Ref;
  kind: 'stripe_event' | 'mapping' | 'engine' | 'qbo_post' | 'reconcile' | 'recognition_changed' | 'fx_rates';
  object_id: string;
  reason: string;
  details: ColumnType<unknown, string | undefined, string>;
  status: Generated<'open' | 'resolved'>;
  retries: Generated<number>;
  created_at: Generated<Date>;
  resolved_at: Date | null;
  resolved_by: string | null;
  note: string | null;
  /** 0046: 'resolved' (with a note) or 'excluded' (with a reason); null while open. */
  resolution: ColumnType<'resolved' | 'excluded' | null, 'resolved' | 'excluded' | null | undefined>;
  reviewed_at: ColumnType<Date | null, Date | null | undefined>;
  reviewed_by: ColumnType<string | null, string | null | undefined>;
}

/** 0046: every action taken on the books from the Stripe App, written in the action's transaction. */
export interface AppAuditTable {
  id: Id;
  tenant_id: Ref;
  at: Generated<Date>;
  actor: string;
  action:
    | 'exception_retry'
    | 'exception_map_account'
    | 'exception_exclude'
    | 'exception_review'
    | 'exception_resolve'
    | 'period_close'
    | 'period_reopen'
    | 'settings_save';
  target: string;
  reason: string | null;
  details: ColumnType<unknown, string | undefined, string>;
}

export interface ReleaseStateTable {
  tenant_id: Ref;
  released_through: string;
  updated_at: Generated<Date>;
}

export interface BackfillProgressTable {
  tenant_id: Ref;
  resource: string;
  cursor: string | null;
  items: Generated<number>;
  done: Generated<boolean>;
  since: Ref | null;
  updated_at: Generated<Date>;
}

/** An object a backfill listed; `payload` is null when its synthetic event carries it. */
export interface BackfillObjectsTable {
  tenant_id: Ref;
  object_id: string;
  object_type: string;
  invoice_id: string | null;
  payment_intent_id: string | null;
  charge_id: string | null;
  /** The object whose list this one came from (a credit grant, a customer); null for a listed object. */
  parent_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Its place in the parent's list as Stripe returned it (newest first). */
  parent_position: ColumnType<number | null, number | null | undefined, number | null>;
  created: Ref;
  payload: ColumnType<unknown, string | null, string | null>;
  listed_at: Generated<Date>;
}

export interface QboConnectionsTable {
  tenant_id: Ref;
  realm_id: string;
  tokens_ciphertext: string;
  access_expires_at: Date;
  refresh_expires_at: Date;
  refresh_hard_expires_at: Date | null;
  status: 'active' | 'needs_reconnect' | 'revoked';
  status_reason: string | null;
  multicurrency: Generated<boolean>;
  last_cdc_at: Date | null;
  updated_at: Generated<Date>;
}

export interface QboOauthNoncesTable {
  nonce: string;
  expires_at: Date;
  used_at: Generated<Date>;
}

export interface QboSyncTable {
  tenant_id: Ref;
  realm_id: string;
  request_id: string;
  doc_number: string;
  period: string;
  txn_date: string;
  currency: Currency;
  lines_hash: string;
  source_entry_ids: ColumnType<string[], string[], string[]>;
  state: 'pending' | 'posted' | 'failed';
  qbo_id: string | null;
  sync_token: string | null;
  posted_lines_hash: string | null;
  reason: string | null;
  code: string | null;
  attempts: Generated<number>;
  updated_at: Generated<Date>;
}

export interface QboCustomersTable {
  tenant_id: Ref;
  stripe_customer: string;
  qbo_customer_id: string;
}

/** Rates fetched from a tenant's rate provider (`backend/rates/`). */
export interface FxProviderRatesTable {
  tenant_id: Ref;
  rate_date: ColumnType<string, string, never>;
  from_currency: Currency;
  to_currency: Currency;
  /** A positive decimal, as text (numeric in PostgreSQL). */
  rate: ColumnType<string, string, string>;
  fetched_at: Generated<Date>;
}

/** The rule list (0044): one row per rule; JSON columns hold the parts the schema in shared/settings.ts checks. */
export interface RecognitionRulesTable {
  tenant_id: Ref;
  rule_id: string;
  position: number;
  name: string | null;
  conditions: ColumnType<unknown, string, string>;
  treatment: ColumnType<unknown, string | null, string | null>;
  split: ColumnType<unknown, string | null, string | null>;
  effective_from: ColumnType<string | null, string | null, string | null>;
  effective_to: ColumnType<string | null, string | null, string | null>;
}

/** One saved change of the rule list (0044); its id is the cause of the corrections it posts. */
export interface RuleChangesTable {
  tenant_id: Ref;
  id: Generated<bigint>;
  actor: string;
  reason: string | null;
  rules_before: ColumnType<unknown, string, string>;
  rules_after: ColumnType<unknown, string, string>;
  entries_posted: ColumnType<number, number | undefined, number>;
  created_at: Generated<Date>;
}

export interface QboRealmBudgetTable {
  tenant_id: Ref;
  realm_id: string;
  paused_until: Date | null;
}

export interface QboCallLeasesTable {
  tenant_id: Ref;
  realm_id: string;
  id: string;
  started_at: Date;
  expires_at: Date;
  finished_at: Date | null;
}

export interface QboConnectAttemptsTable {
  tenant_id: Ref;
  state_hash: string;
  started_at: Date;
  expires_at: Date;
}

export interface QboConnectFailuresTable {
  tenant_id: Ref;
  failed_at: Date;
  message: string;
}

export interface InboxCountersTable {
  tenant_id: Ref;
  last_seq: bigint;
}

export interface ApprovalRequestsTable {
  id: Id;
  tenant_id: Ref;
  kind: string;
  request_key: string;
  payload: ColumnType<unknown, string, never>;
  summary: string;
  reason: string;
  movement_minor: bigint | null;
  status: Generated<'pending' | 'approved' | 'rejected'>;
  requested_by: string;
  requested_at: Generated<Date>;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  result: ColumnType<unknown, string | null, string | null>;
}

export interface ApprovalEventsTable {
  id: Id;
  tenant_id: Ref;
  approval_id: Ref;
  action: 'requested' | 'approved' | 'rejected' | 'apply_failed';
  actor: string;
  note: string | null;
  at: Generated<Date>;
}

export interface DB {
  tenants: TenantsTable;
  tenant_settings_history: TenantSettingsHistoryTable;
  accounts: AccountsTable;
  periods: PeriodsTable;
  period_audit: PeriodAuditTable;
  journal_entries: JournalEntriesTable;
  journal_lines: JournalLinesTable;
  stripe_events: StripeEventsTable;
  stripe_facts: StripeFactsTable;
  exceptions: ExceptionsTable;
  app_audit: AppAuditTable;
  fx_provider_rates: FxProviderRatesTable;
  recognition_rules: RecognitionRulesTable;
  rule_changes: RuleChangesTable;
  release_state: ReleaseStateTable;
  backfill_progress: BackfillProgressTable;
  backfill_objects: BackfillObjectsTable;
  qbo_connections: QboConnectionsTable;
  qbo_oauth_nonces: QboOauthNoncesTable;
  qbo_sync: QboSyncTable;
  qbo_customers: QboCustomersTable;
  qbo_realm_budget: QboRealmBudgetTable;
  qbo_call_leases: QboCallLeasesTable;
  qbo_connect_attempts: QboConnectAttemptsTable;
  qbo_connect_failures: QboConnectFailuresTable;
  inbox_counters: InboxCountersTable;
  approval_requests: ApprovalRequestsTable;
  approval_events: ApprovalEventsTable;
}
