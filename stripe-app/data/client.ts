/**
 * The Stripe App's only door to our backend. Every call asks the Dashboard for a signature
 * (`fetchStripeSignature`), sends it with the user and account ids, and checks the answer
 * against the App API contract (shared/api/app.ts) before a view sees it.
 *
 * Each request signs the Dashboard mode as an extra field, because live and test books are
 * different tenants and the plain signature does not cover the mode; writes also sign the
 * user's administrator/developer role ids (`stripe_roles`), which Stripe refuses to sign for a
 * user who does not hold them. The backend verifies the exact signed string we send in
 * `Stripe-Signed-Payload` (backend/http/app-auth.ts explains why that is safe). Stripe does not
 * document the key order of a signed payload with extras, so on a 401 the same signature is
 * presented once more with the other order, and the order that worked is remembered.
 */
import fetchStripeSignature from '@stripe/ui-extension-sdk/signature';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import type { z } from 'zod';
import {
  RULE_ROUTES,
  RuleChangeRequestSchema,
  RulePreviewResponseSchema,
  RuleSaveResponseSchema,
  RulesResponseSchema,
  type RulePreviewResponse,
  type RuleSaveResponse,
  type RulesResponse,
} from '../../shared/api/rules.ts';
import {
  MetricsResponseSchema,
  RevenueBridgeResponseSchema,
  RpoResponseSchema,
  type MetricsResponse,
  type RevenueBridgeResponse,
  type RpoResponse,
} from '../../shared/api/cockpit.ts';
import {
  APPROVAL_APP_ROUTES,
  AppApprovalSchema,
  ApprovalsResponseSchema,
  ManualJournalResponseSchema,
  type AppApproval,
  type ApprovalsQuery,
  type ApprovalsResponse,
  type DecideApprovalRequest,
  type ManualJournalRequest,
  type ManualJournalResponse,
} from '../../shared/api/approvals.ts';
import {
  BackfillResponseSchema,
  CLOSE_ROUTES,
  ExceptionActionResponseSchema,
  ExportTextResponseSchema,
  PeriodResponseSchema,
  PeriodsResponseSchema,
  ReconciliationEntriesResponseSchema,
  ReconciliationResponseSchema,
  type BackfillResponse,
  type EXPORT_TEXT_FORMATS,
  type ExceptionActionResponse,
  type ExportTextResponse,
  type MapAccountRequest,
  type PeriodResponse,
  type PeriodsResponse,
  type ReconciliationEntriesResponse,
  type ReconciliationResponse,
} from '../../shared/api/close.ts';

export type ExportTextFormat = (typeof EXPORT_TEXT_FORMATS)[number];
import {
  AccountMappingResponseSchema,
  APP_HEADERS,
  APP_ROUTES,
  CreateMissingAccountsResponseSchema,
  CustomerDetailResponseSchema,
  ErrorBodySchema,
  ExceptionResponseSchema,
  ExceptionsResponseSchema,
  InvoiceDetailResponseSchema,
  ProductRuleResponseSchema,
  ProductsResponseSchema,
  QboAccountsResponseSchema,
  QboConnectResponseSchema,
  QboStatusResponseSchema,
  RollforwardResponseSchema,
  routePath,
  SettingsPageResponseSchema,
  SettingsResponseSchema,
  signedPayloadCandidates,
  SyncStatusResponseSchema,
  WaterfallResponseSchema,
  WRITE_ROLE_IDS,
  WRITE_ROLE_NAMES,
  type AccountMappingResponse,
  type AccountMappingUpdateRequest,
  type CreateMissingAccountsRequest,
  type CreateMissingAccountsResponse,
  type CustomerDetailResponse,
  type ExceptionResponse,
  type ExceptionsResponse,
  type InvoiceDetailResponse,
  type ProductRuleResponse,
  type ProductRuleUpdateRequest,
  type ProductsResponse,
  type QboAccountsResponse,
  type QboConnectResponse,
  type QboStatusResponse,
  type RollforwardResponse,
  type SettingsPageResponse,
  type SettingsPageUpdateRequest,
  type SettingsResponse,
  type SettingsUpdateRequest,
  type SignedExtra,
  type SyncStatusResponse,
  type WaterfallResponse,
} from '../../shared/api/app.ts';

/** A request that takes longer than this is abandoned with a plain message (the Dashboard feels hung after ~15 s). */
export const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Which serialization of the signed payload the backend last accepted (index into
 * `signedPayloadCandidates`). Module state on purpose: it is a fact about Stripe, the same for
 * every view and user, learned once per page load.
 */
let acceptedPayloadOrder = 0;

/** A failed call, with the backend's stable code (or ours for network and contract failures). */
export class AppApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = 'AppApiError';
    this.code = code;
    this.status = status;
  }
}

/** The roles of the signed-in user that may change settings, as Stripe role ids. */
export function writeRoleIds(roles: ExtensionContextValue['userContext']['roles']): string[] {
  const ids = new Set<string>();
  for (const role of roles ?? []) {
    if (role.id && (WRITE_ROLE_IDS as readonly string[]).includes(role.id)) ids.add(role.id);
    // Hosts without role ids: map the display name to its id (the two lists are aligned).
    const byName = (WRITE_ROLE_NAMES as readonly string[]).indexOf(role.name);
    if (!role.id && byName >= 0) ids.add(WRITE_ROLE_IDS[byName]!);
  }
  return [...ids];
}

/** True when the signed-in user may change settings (the backend checks the same, signed). */
export function canEditSettings(context: Pick<ExtensionContextValue, 'userContext'>): boolean {
  return writeRoleIds(context.userContext.roles).length > 0;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface AppClient {
  getSettings(): Promise<SettingsResponse>;
  updateSettings(req: SettingsUpdateRequest): Promise<SettingsResponse>;
  /** The Settings page's one save: settings and mapping together, all or nothing. */
  saveSettingsPage(req: SettingsPageUpdateRequest): Promise<SettingsPageResponse>;
  getAccountMapping(): Promise<AccountMappingResponse>;
  updateAccountMapping(req: AccountMappingUpdateRequest): Promise<AccountMappingResponse>;
  listQboAccounts(): Promise<QboAccountsResponse>;
  createMissingAccounts(req?: CreateMissingAccountsRequest): Promise<CreateMissingAccountsResponse>;
  startQboConnect(): Promise<QboConnectResponse>;
  getQboStatus(): Promise<QboStatusResponse>;
  disconnectQbo(): Promise<QboStatusResponse>;
  listProducts(query?: { limit?: number; starting_after?: string }): Promise<ProductsResponse>;
  getProductRule(productId: string): Promise<ProductRuleResponse>;
  putProductRule(productId: string, req: ProductRuleUpdateRequest): Promise<ProductRuleResponse>;
  deleteProductRule(productId: string, version: number): Promise<ProductRuleResponse>;
  getSyncStatus(): Promise<SyncStatusResponse>;
  listExceptions(query?: { status?: 'open' | 'resolved' | 'all'; limit?: number }): Promise<ExceptionsResponse>;
  retryException(exceptionId: string): Promise<ExceptionResponse>;
  resolveException(exceptionId: string, note: string): Promise<ExceptionResponse>;
  getWaterfall(periods: number): Promise<WaterfallResponse>;
  getRollforward(periods: number): Promise<RollforwardResponse>;
  getInvoiceDetail(invoiceId: string): Promise<InvoiceDetailResponse>;
  getCustomerDetail(customerId: string): Promise<CustomerDetailResponse>;
  getMetrics(months: number, granularity?: 'month' | 'day'): Promise<MetricsResponse>;
  /** `asOf` defaults to the last day released. */
  getRpo(asOf?: string): Promise<RpoResponse>;
  getRevenueBridge(periods: number): Promise<RevenueBridgeResponse>;
  listApprovals(status?: ApprovalsQuery['status']): Promise<ApprovalsResponse>;
  decideApproval(approvalId: string, req: DecideApprovalRequest): Promise<AppApproval>;
  postManualJournal(req: ManualJournalRequest): Promise<ManualJournalResponse>;
  getRules(): Promise<RulesResponse>;
  previewRules(req: RuleChangeRequestInput): Promise<RulePreviewResponse>;
  saveRules(req: RuleChangeRequestInput): Promise<RuleSaveResponse>;
  // The month-end close (shared/api/close.ts).
  listPeriods(): Promise<PeriodsResponse>;
  closePeriod(key: string): Promise<PeriodResponse>;
  reopenPeriod(key: string, reason: string): Promise<PeriodResponse>;
  getReconciliation(period: string): Promise<ReconciliationResponse>;
  getReconciliationEntries(period: string, accountId: string): Promise<ReconciliationEntriesResponse>;
  excludeException(exceptionId: string, reason: string): Promise<ExceptionActionResponse>;
  reviewException(exceptionId: string, note?: string): Promise<ExceptionActionResponse>;
  mapExceptionAccount(exceptionId: string, req: MapAccountRequest): Promise<ExceptionActionResponse>;
  getBackfillProgress(): Promise<BackfillResponse>;
  getExportText(format: ExportTextFormat, query?: { from?: string; through?: string }): Promise<ExportTextResponse>;
}

function queryString(query: Record<string, string | number | undefined>): string {
  const parts = Object.entries(query)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** The backend base URL from the manifest's `constants.API_BASE`, without a trailing slash. */
export function apiBaseOf(context: Pick<ExtensionContextValue, 'environment'>): string {
  const constants = context.environment.constants;
  const base =
    constants && typeof constants === 'object' && !Array.isArray(constants)
      ? (constants as Record<string, unknown>)['API_BASE']
      : undefined;
  if (typeof base !== 'string' || base.length === 0)
    throw new AppApiError('not_configured', 'The app has no API_BASE constant; check stripe-app.json.', 0);
  return base.replace(/\/+$/, '');
}

type AppContext = Pick<ExtensionContextValue, 'userContext' | 'environment'>;
type CallOptions = { body?: unknown; write?: boolean };
type Call = <S extends z.ZodType>(method: Method, path: string, schema: S, opts?: CallOptions) => Promise<z.infer<S>>;

/** Builds the client for one view; cheap, so views create it once per context. */
export function createAppClient(context: AppContext): AppClient {
  const call = signedCaller(context);
  return {
    ...settingsMethods(call),
    ...quickbooksMethods(call),
    ...productMethods(call),
    ...syncMethods(call),
    ...reportMethods(call),
    ...cockpitMethods(call),
    ...approvalMethods(call),
    ...ruleMethods(call),
    ...closeMethods(call),
  };
}

/** Asks the Dashboard to sign this request's extras; writes also sign the user's write roles. */
async function signExtras(context: AppContext, write?: boolean): Promise<{ extra: SignedExtra; signature: string }> {
  const extra: SignedExtra = { mode: context.environment.mode };
  if (write) {
    const roles = writeRoleIds(context.userContext.roles);
    if (roles.length === 0)
      throw new AppApiError('forbidden', 'Only administrators and developers can change Accrue settings.', 403);
    extra.stripe_roles = roles;
  }
  try {
    return { extra, signature: await fetchStripeSignature(extra) };
  } catch {
    throw new AppApiError('unauthorized', 'Stripe could not sign this request. Reload the page and try again.', 401);
  }
}

/** Reads the body of an answer and checks it against `schema`; a refusal becomes an `AppApiError`. */
async function readAnswer<S extends z.ZodType>(response: Response, schema: S): Promise<z.infer<S>> {
  let json: unknown = null;
  try {
    json = await response.json();
  } catch {
    json = null;
  }
  if (!response.ok) {
    const err = ErrorBodySchema.safeParse(json);
    if (err.success) throw new AppApiError(err.data.error.code, err.data.error.message, response.status);
    throw new AppApiError('upstream_unavailable', `Accrue answered with HTTP ${response.status}.`, response.status);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new AppApiError(
      'internal',
      'Accrue sent an answer this version of the app does not understand.',
      response.status,
    );
  return parsed.data;
}

/** The one request function every client method goes through: sign, send, check the answer. */
function signedCaller(context: AppContext): Call {
  const userId = context.userContext.id ?? '';
  const accountId = context.userContext.account.id;
  const mode = context.environment.mode;

  return async function call<S extends z.ZodType>(
    method: Method,
    path: string,
    schema: S,
    opts: CallOptions = {},
  ): Promise<z.infer<S>> {
    const base = apiBaseOf(context);
    const { extra, signature } = await signExtras(context, opts.write);
    const candidates = signedPayloadCandidates(extra, userId, accountId);
    const send = async (order: number): Promise<Response> => {
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        [APP_HEADERS.signature]: signature,
        [APP_HEADERS.userId]: userId,
        [APP_HEADERS.accountId]: accountId,
        [APP_HEADERS.mode]: mode,
        [APP_HEADERS.signedPayload]: candidates[order] ?? candidates[0]!,
      };
      const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
      const timer = controller ? setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS) : undefined;
      try {
        return await fetch(`${base}${path}`, {
          method,
          headers,
          ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
          ...(controller ? { signal: controller.signal } : {}),
        });
      } catch {
        throw new AppApiError(
          'upstream_unavailable',
          'Could not reach Accrue. Check your connection and try again.',
          0,
        );
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
    };
    const first = Math.min(acceptedPayloadOrder, candidates.length - 1);
    let response = await send(first);
    if (response.status === 401 && candidates.length > 1) {
      // Perhaps Stripe serialized the signed payload in the other order: same signature, other string.
      const other = first === 0 ? 1 : 0;
      const retry = await send(other);
      if (retry.status !== 401) acceptedPayloadOrder = other;
      response = retry;
    }
    return readAnswer(response, schema);
  };
}

type SettingsMethod =
  'getSettings' | 'updateSettings' | 'saveSettingsPage' | 'getAccountMapping' | 'updateAccountMapping';

function settingsMethods(call: Call): Pick<AppClient, SettingsMethod> {
  return {
    getSettings: () => call('GET', APP_ROUTES.settings, SettingsResponseSchema),
    updateSettings: (req) => call('PUT', APP_ROUTES.settings, SettingsResponseSchema, { body: req, write: true }),
    saveSettingsPage: (req) =>
      call('PUT', APP_ROUTES.settingsPage, SettingsPageResponseSchema, { body: req, write: true }),
    getAccountMapping: () => call('GET', APP_ROUTES.accountMapping, AccountMappingResponseSchema),
    updateAccountMapping: (req) =>
      call('PUT', APP_ROUTES.accountMapping, AccountMappingResponseSchema, { body: req, write: true }),
  };
}

type QuickbooksMethod =
  'listQboAccounts' | 'createMissingAccounts' | 'startQboConnect' | 'getQboStatus' | 'disconnectQbo';

function quickbooksMethods(call: Call): Pick<AppClient, QuickbooksMethod> {
  return {
    listQboAccounts: () => call('GET', APP_ROUTES.qboAccounts, QboAccountsResponseSchema),
    createMissingAccounts: (req = {}) =>
      call('POST', APP_ROUTES.qboCreateMissing, CreateMissingAccountsResponseSchema, { body: req, write: true }),
    startQboConnect: () => call('POST', APP_ROUTES.qboConnect, QboConnectResponseSchema, { body: {}, write: true }),
    getQboStatus: () => call('GET', APP_ROUTES.qboStatus, QboStatusResponseSchema),
    disconnectQbo: () => call('POST', APP_ROUTES.qboDisconnect, QboStatusResponseSchema, { body: {}, write: true }),
  };
}

type ProductMethod = 'listProducts' | 'getProductRule' | 'putProductRule' | 'deleteProductRule';

function productMethods(call: Call): Pick<AppClient, ProductMethod> {
  return {
    listProducts: (query = {}) => call('GET', `${APP_ROUTES.products}${queryString(query)}`, ProductsResponseSchema),
    getProductRule: (productId) => call('GET', routePath(APP_ROUTES.productRule, productId), ProductRuleResponseSchema),
    putProductRule: (productId, req) =>
      call('PUT', routePath(APP_ROUTES.productRule, productId), ProductRuleResponseSchema, { body: req, write: true }),
    deleteProductRule: (productId, version) =>
      call(
        'DELETE',
        `${routePath(APP_ROUTES.productRule, productId)}${queryString({ version })}`,
        ProductRuleResponseSchema,
        { write: true },
      ),
  };
}

type SyncMethod = 'getSyncStatus' | 'listExceptions' | 'retryException' | 'resolveException';

function syncMethods(call: Call): Pick<AppClient, SyncMethod> {
  return {
    getSyncStatus: () => call('GET', APP_ROUTES.syncStatus, SyncStatusResponseSchema),
    listExceptions: (query = {}) =>
      call('GET', `${APP_ROUTES.exceptions}${queryString(query)}`, ExceptionsResponseSchema),
    retryException: (id) =>
      call('POST', routePath(APP_ROUTES.exceptionRetry, id), ExceptionResponseSchema, { body: {}, write: true }),
    resolveException: (id, note) =>
      call('POST', routePath(APP_ROUTES.exceptionResolve, id), ExceptionResponseSchema, {
        body: { note },
        write: true,
      }),
  };
}

type ReportMethod = 'getWaterfall' | 'getRollforward' | 'getInvoiceDetail' | 'getCustomerDetail';

function reportMethods(call: Call): Pick<AppClient, ReportMethod> {
  return {
    getWaterfall: (periods) =>
      call('GET', `${APP_ROUTES.waterfall}${queryString({ periods })}`, WaterfallResponseSchema),
    getRollforward: (periods) =>
      call('GET', `${APP_ROUTES.rollforward}${queryString({ periods })}`, RollforwardResponseSchema),
    getInvoiceDetail: (id) => call('GET', routePath(APP_ROUTES.invoice, id), InvoiceDetailResponseSchema),
    getCustomerDetail: (id) => call('GET', routePath(APP_ROUTES.customer, id), CustomerDetailResponseSchema),
  };
}

type CockpitMethod = 'getMetrics' | 'getRpo' | 'getRevenueBridge';

function cockpitMethods(call: Call): Pick<AppClient, CockpitMethod> {
  return {
    getMetrics: (months, granularity) =>
      call('GET', `${APP_ROUTES.metrics}${queryString({ months, granularity })}`, MetricsResponseSchema),
    getRpo: (asOf) => call('GET', `${APP_ROUTES.rpo}${queryString({ as_of: asOf })}`, RpoResponseSchema),
    getRevenueBridge: (periods) =>
      call('GET', `${APP_ROUTES.revenueBridge}${queryString({ periods })}`, RevenueBridgeResponseSchema),
  };
}

type ApprovalMethod = 'listApprovals' | 'decideApproval' | 'postManualJournal';

function approvalMethods(call: Call): Pick<AppClient, ApprovalMethod> {
  return {
    listApprovals: (status) =>
      call('GET', `${APPROVAL_APP_ROUTES.approvals}${queryString({ status })}`, ApprovalsResponseSchema),
    decideApproval: (id, req) =>
      call('POST', routePath(APPROVAL_APP_ROUTES.approvalDecide, id), AppApprovalSchema, { body: req, write: true }),
    postManualJournal: (req) =>
      call('POST', APPROVAL_APP_ROUTES.manualJournal, ManualJournalResponseSchema, { body: req, write: true }),
  };
}

type RuleMethod = 'getRules' | 'previewRules' | 'saveRules';

/** A rule change as the view sends it (the backend checks it with the same schema). */
export type RuleChangeRequestInput = z.input<typeof RuleChangeRequestSchema>;

function ruleMethods(call: Call): Pick<AppClient, RuleMethod> {
  return {
    getRules: () => call('GET', RULE_ROUTES.rules, RulesResponseSchema),
    previewRules: (req) => call('POST', RULE_ROUTES.rulesPreview, RulePreviewResponseSchema, { body: req }),
    saveRules: (req) => call('PUT', RULE_ROUTES.rules, RuleSaveResponseSchema, { body: req, write: true }),
  };
}

type CloseMethod =
  | 'listPeriods'
  | 'closePeriod'
  | 'reopenPeriod'
  | 'getReconciliation'
  | 'getReconciliationEntries'
  | 'excludeException'
  | 'reviewException'
  | 'mapExceptionAccount'
  | 'getBackfillProgress'
  | 'getExportText';

function closeMethods(call: Call): Pick<AppClient, CloseMethod> {
  const write = (body: unknown) => ({ body, write: true });
  return {
    listPeriods: () => call('GET', CLOSE_ROUTES.periods, PeriodsResponseSchema),
    closePeriod: (key) => call('POST', routePath(CLOSE_ROUTES.periodClose, key), PeriodResponseSchema, write({})),
    reopenPeriod: (key, reason) =>
      call('POST', routePath(CLOSE_ROUTES.periodReopen, key), PeriodResponseSchema, write({ reason })),
    getReconciliation: (period) =>
      call('GET', `${CLOSE_ROUTES.reconciliation}${queryString({ period })}`, ReconciliationResponseSchema),
    getReconciliationEntries: (period, accountId) =>
      call(
        'GET',
        `${CLOSE_ROUTES.reconciliationEntries}${queryString({ period, account_id: accountId })}`,
        ReconciliationEntriesResponseSchema,
      ),
    excludeException: (id, reason) =>
      call('POST', routePath(CLOSE_ROUTES.exceptionExclude, id), ExceptionActionResponseSchema, write({ reason })),
    reviewException: (id, note) =>
      call(
        'POST',
        routePath(CLOSE_ROUTES.exceptionReview, id),
        ExceptionActionResponseSchema,
        write(note ? { note } : {}),
      ),
    mapExceptionAccount: (id, req) =>
      call('POST', routePath(CLOSE_ROUTES.exceptionMapAccount, id), ExceptionActionResponseSchema, write(req)),
    getBackfillProgress: () => call('GET', CLOSE_ROUTES.backfill, BackfillResponseSchema),
    getExportText: (format, query = {}) =>
      call('GET', `${routePath(CLOSE_ROUTES.exportText, format)}${queryString(query)}`, ExportTextResponseSchema),
  };
}
