/**
 * QuickBooks use cases for one tenant, composed from the parts in this directory, so the job
 * runner and HTTP routes call one function each: open a session (token + adapter + refresh hook),
 * make sure customers exist, post ledger lines, and sweep QuickBooks for accountant changes.
 * No database here: stores and mappings come in as arguments.
 */
import { AccrueError } from '../../shared/errors.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { QboAdapter, isQboApiError, type QboPreferences } from './adapter.ts';
import { systemClock, type Clock } from './clock.ts';
import { executePostings, type ExecuteResult } from './executor.ts';
import { limiterForRealm, type CallLimiter } from './limiter.ts';
import type { QboOAuth } from './oauth.ts';
import { planPostings, type MappedAccount, type PostingMode } from './posting.ts';
import { currentFromCdc, detectDrift, nextChangedSince, type EntryDrift } from './reconcile.ts';
import type { SyncStore } from './sync-store.ts';

/** QuickBooks DisplayName limit is 500; we keep names readable and leave room for the id suffix. */
export const CUSTOMER_NAME_MAX_CHARS = 100;
/** CDC answers at most 1000 objects; a sweep that hits the cap must narrow its window. */
export const CDC_OBJECT_CAP = 1000;

export interface QboSession {
  tenantId: string;
  realmId: string;
  api: QboAdapter;
  /** Refreshes the token (single-flight) and gives the adapter the new one. */
  refreshAuth: () => Promise<void>;
  limiter: CallLimiter;
  /** Runs one API call under the realm's limiter; on a 401 refreshes once and retries. */
  call<T>(fn: (api: QboAdapter) => Promise<T>): Promise<T>;
}

/** Opens a session: a valid access token and an adapter bound to the tenant's realm. */
export async function openSession(
  oauth: QboOAuth,
  tenantId: string,
  opts: {
    clock?: Clock;
    timeout_ms?: number;
    limiter?: CallLimiter;
    /** The realm's limiter once the realm is known (the shared one, across processes); else this process's. */
    limiterFor?: ((realmId: string) => CallLimiter) | undefined;
  } = {},
): Promise<QboSession> {
  const { accessToken, realmId } = await oauth.accessToken(tenantId);
  const api = new QboAdapter({ realmId, accessToken, timeout_ms: opts.timeout_ms });
  const limiter = opts.limiter ?? opts.limiterFor?.(realmId) ?? limiterForRealm(realmId, opts.clock ?? systemClock);
  const refreshAuth = async (): Promise<void> => {
    const fresh = await oauth.refresh(tenantId);
    api.setAccessToken(fresh.accessToken);
  };
  return {
    tenantId,
    realmId,
    api,
    limiter,
    refreshAuth,
    async call<T>(fn: (a: QboAdapter) => Promise<T>): Promise<T> {
      try {
        return await limiter.run(() => fn(api));
      } catch (e) {
        if (!(isQboApiError(e) && e.error.kind === 'auth')) throw e;
        await refreshAuth();
        return limiter.run(() => fn(api));
      }
    },
  };
}

/** The DisplayName Accrue gives a Stripe customer: readable, and unique thanks to the id. */
export function customerDisplayName(stripeCustomerId: string, name: string | undefined): string {
  const base = (name ?? '')
    .replace(/[:"\t\n]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, CUSTOMER_NAME_MAX_CHARS);
  return base ? `${base} [${stripeCustomerId}]` : `Stripe ${stripeCustomerId}`;
}

/**
 * Finds or creates the QuickBooks customers for Stripe customers (needed only when receivables
 * are mapped to an Accounts Receivable account). Returns Stripe id → QuickBooks Customer.Id.
 */
export async function ensureCustomers(
  session: Pick<QboSession, 'call'>,
  customers: readonly { stripeCustomerId: string; name?: string | undefined }[],
  known: ReadonlyMap<string, string> = new Map(),
): Promise<Map<string, string>> {
  const out = new Map(known);
  for (const c of customers) {
    if (out.has(c.stripeCustomerId)) continue;
    const displayName = customerDisplayName(c.stripeCustomerId, c.name);
    const found = await session.call((api) => api.findCustomerByDisplayName(displayName));
    if (found) {
      out.set(c.stripeCustomerId, found.Id);
      continue;
    }
    try {
      const created = await session.call((api) => api.createCustomer({ DisplayName: displayName }));
      out.set(c.stripeCustomerId, created.Id);
    } catch (e) {
      // 6240: the name exists (perhaps as a vendor or employee, which a customer query can't see).
      if (isQboApiError(e) && e.error.code === '6240') {
        const message = `QuickBooks already has a name "${displayName}" that is not a customer`;
        throw new AccrueError('conflict', message, { stripeCustomerId: c.stripeCustomerId }, { cause: e });
      }
      throw e;
    }
  }
  return out;
}

export interface PostLedgerInput {
  session: QboSession;
  store: SyncStore;
  lines: readonly LedgerLine[];
  accounts: ReadonlyMap<string, MappedAccount>;
  customers?: ReadonlyMap<string, string> | undefined;
  mode?: PostingMode | undefined;
  exchangeRate?: ((currency: string, txnDate: string) => string | undefined) | undefined;
  clock?: Clock | undefined;
  /** Preferences already read this run (saves a call). */
  preferences?: QboPreferences | undefined;
}

export interface PostLedgerResult extends ExecuteResult {
  planned: number;
  /** Ledger entry ids carried by entries now posted (the caller marks them sent). */
  postedEntryIds: string[];
}

/** Plans and posts ledger lines to the session's realm. */
export async function postLedger(input: PostLedgerInput): Promise<PostLedgerResult> {
  const { session } = input;
  const prefs = input.preferences ?? (await session.call((api) => api.getPreferences()));
  const homeCurrency = prefs.CurrencyPrefs?.HomeCurrency?.value ?? 'USD';
  const plan = planPostings({
    tenantId: session.tenantId,
    lines: input.lines,
    accounts: input.accounts,
    customers: input.customers,
    mode: input.mode,
    realm: { homeCurrency, multicurrency: prefs.CurrencyPrefs?.MultiCurrencyEnabled === true },
    exchangeRate: input.exchangeRate,
  });
  const result = await executePostings({
    tenantId: session.tenantId,
    realmId: session.realmId,
    api: session.api,
    entries: plan,
    store: input.store,
    limiter: session.limiter,
    clock: input.clock,
    refreshAuth: session.refreshAuth,
  });
  const posted = new Set((await input.store.list(session.realmId, { state: 'posted' })).map((r) => r.requestId));
  const postedEntryIds = [...new Set(plan.filter((p) => posted.has(p.requestId)).flatMap((p) => p.sourceEntryIds))];
  return { ...result, planned: plan.length, postedEntryIds };
}

export interface SweepResult {
  drift: EntryDrift[];
  /** Where the next sweep starts (UTC `Z`). */
  nextSince: string;
  /** True when CDC hit its 1000-object cap: sweep again from `nextSince` soon. */
  truncated: boolean;
}

/** One CDC sweep: what changed in QuickBooks since `since`, compared with what we posted. */
export async function sweepChanges(
  session: Pick<QboSession, 'call' | 'realmId'>,
  store: SyncStore,
  since: string,
  clock: Clock = systemClock,
): Promise<SweepResult> {
  const cdc = await session.call((api) => api.changeDataCapture(['JournalEntry', 'Account'], since));
  const records = await store.list(session.realmId, { state: 'posted' });
  const objects = Object.values(cdc.changes).reduce((n, list) => n + list.length, 0);
  return {
    drift: detectDrift(records, currentFromCdc(cdc)),
    nextSince: nextChangedSince(cdc.time, clock.now_ms()),
    truncated: objects >= CDC_OBJECT_CAP,
  };
}
