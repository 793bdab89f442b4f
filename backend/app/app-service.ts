/**
 * The Stripe App's backend (`AccrueAppService` on PostgreSQL): binds the use cases — one module
 * each, grouped by area in settings/, mapping/, rules/, quickbooks/, sync/, exceptions/ and
 * reports/ — into the object the App API router calls. Every use case is scoped to the tenant of
 * the VERIFIED caller (`caller.tenant.accountId` + livemode, never a body or query field).
 *
 * Token handling is delegated to `QboOAuth` (signed single-use state, code exchange, refresh,
 * revoke) and the token store (tokens encrypted at rest); no use case sees a token except through
 * those. No network call runs inside a database transaction. The only state kept between requests
 * is the QuickBooks connect attempts, owned by one `ConnectAttempts` per service.
 */
import type Stripe from 'stripe';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import type { Jobs } from '../jobs/runner.ts';
import type { Logger } from '../log/logger.ts';
import { systemClock, type Clock } from '../qbo/clock.ts';
import type { AccrueAppService, AppDeps, AppServiceDeps, QboDeps } from './app-api/types.ts';
import { decideApproval, getApprovals, postManualJournal } from './approvals/app.ts';
import { closeUseCases } from './close/bind.ts';
import { listExceptions, resolveException, retryException } from './exceptions/exceptions.ts';
import { getAccountMapping, updateAccountMapping } from './mapping/account-mapping.ts';
import { listQboAccounts } from './mapping/chart.ts';
import { createMissingAccounts } from './mapping/create-missing-accounts.ts';
import { qboServices, type QboServices } from './qbo-sync.ts';
import { completeQboConnect } from './quickbooks/callback.ts';
import { disconnectQbo, startQboConnect } from './quickbooks/connect.ts';
import { ConnectAttempts } from './quickbooks/connect-attempts.ts';
import { getQboStatus } from './quickbooks/status.ts';
import { getCustomerDetail } from './reports/customer-detail.ts';
import { getInvoiceDetail } from './reports/invoice-detail.ts';
import { getMetrics } from './reports/metrics.ts';
import { getRevenueBridge } from './reports/revenue-bridge.ts';
import { getRollforward } from './reports/rollforward.ts';
import { getRpo } from './reports/rpo.ts';
import { getWaterfall } from './reports/waterfall.ts';
import { listProducts } from './rules/list-products.ts';
import { deleteProductRule, getProductRule, putProductRule } from './rules/product-rules.ts';
import { getRules, previewRules, saveRules } from './rules/rule-list.ts';
import { saveSettingsPage } from './settings/page.ts';
import { getSettings, updateSettings } from './settings/settings.ts';
import { getSyncStatus } from './sync/sync-status.ts';

export type {
  AccrueAppService,
  AppCaller,
  AppDeps,
  AppService,
  AppServiceDeps,
  QboCallbackOutcome,
  QboDeps,
} from './app-api/types.ts';
export { PENDING_CONNECTS_MAX } from './quickbooks/connect-attempts.ts';
export { CUSTOMER_INVOICES_MAX } from './reports/customer-detail.ts';
export { withRule } from './rules/rule-dates.ts';

/** Builds the App API's implementation over PostgreSQL, QuickBooks and Stripe. */
export function createAppService(options: AppServiceDeps): AccrueAppService {
  const deps: AppDeps = { ...options, clock: options.clock ?? systemClock };
  const withAttempts = { ...deps, attempts: new ConnectAttempts(deps.db, deps.clock) };
  return {
    getSettings: (caller) => getSettings(deps, caller),
    updateSettings: (caller, req) => updateSettings(deps, caller, req),
    saveSettingsPage: (caller, req) => saveSettingsPage(deps, caller, req),
    getAccountMapping: (caller) => getAccountMapping(deps, caller),
    updateAccountMapping: (caller, req) => updateAccountMapping(deps, caller, req),
    listQboAccounts: (caller) => listQboAccounts(deps, caller),
    createMissingAccounts: (caller, req) => createMissingAccounts(deps, caller, req),
    startQboConnect: (caller) => startQboConnect(withAttempts, caller),
    getQboStatus: (caller) => getQboStatus(withAttempts, caller),
    disconnectQbo: (caller) => disconnectQbo(withAttempts, caller),
    completeQboConnect: (callbackUrl) => completeQboConnect(withAttempts, callbackUrl),
    listProducts: (caller, query) => listProducts(deps, caller, query),
    getProductRule: (caller, productId) => getProductRule(deps, caller, productId),
    putProductRule: (caller, productId, req) => putProductRule(deps, caller, productId, req),
    deleteProductRule: (caller, productId, req) => deleteProductRule(deps, caller, productId, req),
    getSyncStatus: (caller) => getSyncStatus(withAttempts, caller),
    listExceptions: (caller, query) => listExceptions(deps, caller, query),
    retryException: (caller, exceptionId) => retryException(deps, caller, exceptionId),
    resolveException: (caller, exceptionId, req) => resolveException(deps, caller, exceptionId, req),
    getWaterfall: (caller, query) => getWaterfall(deps, caller, query),
    getRollforward: (caller, query) => getRollforward(deps, caller, query),
    getMetrics: (caller, query) => getMetrics(deps, caller, query),
    getRpo: (caller, query) => getRpo(deps, caller, query),
    getRevenueBridge: (caller, query) => getRevenueBridge(deps, caller, query),
    listApprovals: (caller, query) => getApprovals(deps, caller, query),
    decideApproval: (caller, id, req) => decideApproval(deps, caller, id, req),
    postManualJournal: (caller, req) => postManualJournal(deps, caller, req),
    getRules: (caller) => getRules(deps, caller),
    previewRules: (caller, req) => previewRules(deps, caller, req),
    saveRules: (caller, req) => saveRules(deps, caller, req),
    getInvoiceDetail: (caller, invoiceId) => getInvoiceDetail(deps, caller, invoiceId),
    getCustomerDetail: (caller, customerId) => getCustomerDetail(deps, caller, customerId),
    ...closeUseCases(deps),
  };
}

/**
 * The QuickBooks parts from configuration, or null when any of QBO_CLIENT_ID, QBO_CLIENT_SECRET,
 * QBO_REDIRECT_URI or ACCRUE_ENCRYPTION_KEY is missing (tokens are never stored unencrypted).
 * The state-signing key is derived from the client secret and the encryption keyring, so it
 * needs no setting of its own and changes when either is rotated.
 */
export function qboDepsFromConfig(config: Config, db: Db, clock?: Clock): QboDeps | null {
  const services = qboServices(config, db, clock);
  return services ? { oauth: services.oauth, tokens: services.tokens } : null;
}

/** The context of a running process that the App service is built from. */
interface AppServiceContext {
  config: Config;
  db: Db;
  jobs: Jobs | null;
  stripe: Stripe | null;
  log?: Logger;
  qbo?: QboServices | null;
}

/** The service for a running process (`buildServer`): database, jobs and Stripe from the context. */
export function appServiceFromContext(ctx: AppServiceContext): AccrueAppService {
  // Share the context's QuickBooks services (one OAuth client per process), when it has them.
  const qbo =
    ctx.qbo !== undefined
      ? ctx.qbo
        ? { oauth: ctx.qbo.oauth, tokens: ctx.qbo.tokens }
        : null
      : qboDepsFromConfig(ctx.config, ctx.db);
  const log = ctx.log ? { log: ctx.log.child({ part: 'app' }) } : {};
  return createAppService({ db: ctx.db, jobs: ctx.jobs, stripe: ctx.stripe, qbo, ...log });
}
