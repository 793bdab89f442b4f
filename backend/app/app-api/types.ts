/**
 * The Stripe App's service contract as the backend sees it: who is calling (`AppCaller`), the use
 * cases the App API router calls (`AppService`), and what the use cases depend on (`AppDeps`).
 * `backend/http/*` imports these types from here: HTTP depends on the App, never the reverse.
 */
import type Stripe from 'stripe';
import type {
  AccountMappingResponse,
  AccountMappingUpdateRequest,
  CreateMissingAccountsRequest,
  CreateMissingAccountsResponse,
  CustomerDetailResponse,
  ExceptionResponse,
  ExceptionsQuery,
  ExceptionsResponse,
  InvoiceDetailResponse,
  ProductRuleDeleteRequest,
  ProductRuleResponse,
  ProductRuleUpdateRequest,
  ProductsQuery,
  ProductsResponse,
  QboAccountsResponse,
  QboConnectResponse,
  QboStatusResponse,
  ReportQuery,
  ResolveExceptionRequest,
  RollforwardResponse,
  SettingsPageResponse,
  SettingsPageUpdateRequest,
  SettingsResponse,
  SettingsUpdateRequest,
  SyncStatusResponse,
  WaterfallResponse,
} from '../../../shared/api/app.ts';
import type {
  MetricsQuery,
  MetricsResponse,
  RevenueBridgeResponse,
  RpoQuery,
  RpoResponse,
} from '../../../shared/api/cockpit.ts';
import type {
  AppApproval,
  ApprovalsQuery,
  ApprovalsResponse,
  DecideApprovalRequest,
  ManualJournalRequest,
  ManualJournalResponse,
} from '../../../shared/api/approvals.ts';
import type {
  RuleChangeRequest,
  RulePreviewResponse,
  RuleSaveResponse,
  RulesResponse,
} from '../../../shared/api/rules.ts';
import type {
  BackfillResponse,
  ExceptionActionResponse,
  ExcludeExceptionRequest,
  ExportTextQuery,
  ExportTextResponse,
  MapAccountRequest,
  PeriodReopenRequest,
  PeriodResponse,
  PeriodsResponse,
  ReconciliationEntriesQuery,
  ReconciliationEntriesResponse,
  ReconciliationQuery,
  ReconciliationResponse,
  ReviewExceptionRequest,
} from '../../../shared/api/close.ts';
import type { Db } from '../../db/database.ts';
import type { Jobs } from '../../jobs/runner.ts';
import type { Logger } from '../../log/logger.ts';
import type { Clock } from '../../qbo/clock.ts';
import type { CallLimiter } from '../../qbo/limiter.ts';
import type { QboOAuth, TokenStore } from '../../qbo/oauth.ts';

/** The verified identity of a request, as use cases receive it. */
export interface AppCaller {
  tenant: { accountId: string; livemode: boolean };
  user: { id: string; roles: string[] };
}

/**
 * One method per use case of the Stripe App. Each takes the verified caller first: the tenant
 * `(accountId, livemode)` comes from the Stripe signature and nothing else. Implementations
 * throw `AccrueError` (`not_found`, `conflict` for a stale `version`, `not_configured` when
 * QuickBooks is not connected, `upstream_unavailable` when it does not answer, …).
 */
export interface AppService {
  getSettings(caller: AppCaller): Promise<SettingsResponse>;
  /** Merges the partial settings; `conflict` unless `req.version` is the current version. */
  updateSettings(caller: AppCaller, req: SettingsUpdateRequest): Promise<SettingsResponse>;
  /**
   * The Settings page's one save: settings and account mapping checked as a whole, then written in
   * one transaction with an audit row (`conflict` for a stale `req.version`).
   */
  saveSettingsPage(caller: AppCaller, req: SettingsPageUpdateRequest): Promise<SettingsPageResponse>;
  getAccountMapping(caller: AppCaller): Promise<AccountMappingResponse>;
  /** `unknown_account` when an id is not one of the company's QuickBooks accounts. */
  updateAccountMapping(caller: AppCaller, req: AccountMappingUpdateRequest): Promise<AccountMappingResponse>;
  listQboAccounts(caller: AppCaller): Promise<QboAccountsResponse>;
  createMissingAccounts(caller: AppCaller, req: CreateMissingAccountsRequest): Promise<CreateMissingAccountsResponse>;
  /** Starts the Intuit OAuth handshake bound to this tenant; the UI opens the URL and polls status. */
  startQboConnect(caller: AppCaller): Promise<QboConnectResponse>;
  getQboStatus(caller: AppCaller): Promise<QboStatusResponse>;
  disconnectQbo(caller: AppCaller): Promise<QboStatusResponse>;
  listProducts(caller: AppCaller, query: ProductsQuery): Promise<ProductsResponse>;
  getProductRule(caller: AppCaller, productId: string): Promise<ProductRuleResponse>;
  putProductRule(caller: AppCaller, productId: string, req: ProductRuleUpdateRequest): Promise<ProductRuleResponse>;
  deleteProductRule(caller: AppCaller, productId: string, req: ProductRuleDeleteRequest): Promise<ProductRuleResponse>;
  getSyncStatus(caller: AppCaller): Promise<SyncStatusResponse>;
  listExceptions(caller: AppCaller, query: ExceptionsQuery): Promise<ExceptionsResponse>;
  retryException(caller: AppCaller, exceptionId: string): Promise<ExceptionResponse>;
  resolveException(caller: AppCaller, exceptionId: string, req: ResolveExceptionRequest): Promise<ExceptionResponse>;
  getWaterfall(caller: AppCaller, query: ReportQuery): Promise<WaterfallResponse>;
  getRollforward(caller: AppCaller, query: ReportQuery): Promise<RollforwardResponse>;
  getMetrics(caller: AppCaller, query: MetricsQuery): Promise<MetricsResponse>;
  /** `invalid_input` when `as_of` is after the last day released. */
  getRpo(caller: AppCaller, query: RpoQuery): Promise<RpoResponse>;
  getRevenueBridge(caller: AppCaller, query: ReportQuery): Promise<RevenueBridgeResponse>;
  getInvoiceDetail(caller: AppCaller, invoiceId: string): Promise<InvoiceDetailResponse>;
  getCustomerDetail(caller: AppCaller, customerId: string): Promise<CustomerDetailResponse>;
  /** The approval queue with what this caller may decide. */
  listApprovals(caller: AppCaller, query: ApprovalsQuery): Promise<ApprovalsResponse>;
  /** `forbidden` unless the caller approves and did not request it; applying it may refuse (4xx). */
  decideApproval(caller: AppCaller, approvalId: string, req: DecideApprovalRequest): Promise<AppApproval>;
  /** Posts a manual journal, or queues it when it moves more than the threshold in a period. */
  postManualJournal(caller: AppCaller, req: ManualJournalRequest): Promise<ManualJournalResponse>;
  /** The rule list in order, the product rules as rules, the revision and whether the caller may edit. */
  getRules(caller: AppCaller): Promise<RulesResponse>;
  /** What a change of the rule list would move, per period and invoice; writes nothing. */
  previewRules(caller: AppCaller, req: RuleChangeRequest): Promise<RulePreviewResponse>;
  /** Saves the rule list and re-applies it (`conflict` unless `req.revision` is current). */
  saveRules(caller: AppCaller, req: RuleChangeRequest): Promise<RuleSaveResponse>;
  // The month-end close (shared/api/close.ts).
  listPeriods(caller: AppCaller): Promise<PeriodsResponse>;
  /** `conflict` out of order, already closed, or not yet begun. */
  closePeriod(caller: AppCaller, key: string): Promise<PeriodResponse>;
  /** `conflict` unless it is the latest closed period. */
  reopenPeriod(caller: AppCaller, key: string, req: PeriodReopenRequest): Promise<PeriodResponse>;
  /** `not_configured` when QuickBooks is not connected. */
  getReconciliation(caller: AppCaller, query: ReconciliationQuery): Promise<ReconciliationResponse>;
  getReconciliationEntries(
    caller: AppCaller,
    query: ReconciliationEntriesQuery,
  ): Promise<ReconciliationEntriesResponse>;
  excludeException(
    caller: AppCaller,
    exceptionId: string,
    req: ExcludeExceptionRequest,
  ): Promise<ExceptionActionResponse>;
  reviewException(
    caller: AppCaller,
    exceptionId: string,
    req: ReviewExceptionRequest,
  ): Promise<ExceptionActionResponse>;
  mapExceptionAccount(caller: AppCaller, exceptionId: string, req: MapAccountRequest): Promise<ExceptionActionResponse>;
  getBackfillProgress(caller: AppCaller): Promise<BackfillResponse>;
  getExportText(caller: AppCaller, format: string, query: ExportTextQuery): Promise<ExportTextResponse>;
}

/** What the OAuth callback page needs to say. */
export type QboCallbackOutcome =
  | { ok: true; realmId: string }
  | {
      ok: false;
      reason: 'denied' | 'bad_state' | 'exchange_failed' | 'realm_in_use' | 'upstream' | 'not_configured';
      message: string;
    };

/** The App API plus the one step that arrives without a Stripe signature: the OAuth callback. */
export interface AccrueAppService extends AppService {
  /**
   * Completes a QuickBooks connect from Intuit's redirect (full URL or query string). The signed,
   * single-use `state` is the authentication: it names the tenant and can be used once.
   */
  completeQboConnect(callbackUrl: string): Promise<QboCallbackOutcome>;
}

/** The QuickBooks parts the use cases need; absent when the deployment has not configured QuickBooks. */
export interface QboDeps {
  oauth: QboOAuth;
  tokens: TokenStore;
  /** The company's limiter shared by every process (PostgreSQL); without it, this process's own. */
  limiterFor?: ((tenantId: string, realmId: string) => CallLimiter) | undefined;
}

/**
 * Everything a use case of the App may depend on. Each use case takes only the part it uses
 * (`Pick<AppDeps, …>`), so a test can call it with a database and nothing else.
 */
export interface AppDeps {
  db: Db;
  /** Needed to retry exceptions (the retry is an enqueue); `not_configured` without it. */
  jobs: Jobs | null;
  /** The platform-key Stripe client; products are read with `{stripeAccount}` of the caller. */
  stripe: Stripe | null;
  qbo: QboDeps | null;
  /** Wall clock: report windows end at the current period of the tenant's time zone. */
  clock: Pick<Clock, 'now_ms'>;
  log?: Logger;
}

/** What `createAppService` takes: the deps, with the system clock when none is given. */
export type AppServiceDeps = Omit<AppDeps, 'clock'> & { clock?: AppDeps['clock'] };
