/**
 * The posting executor: sends planned journal entries to one QuickBooks realm, safely.
 *  - Within QuickBooks' limits: every call goes through the realm's limiter (≤ 8 in flight,
 *    ≤ 450 per minute); a 429 pauses the whole realm for 60 s as QuickBooks asks.
 *  - Idempotent: the requestId is saved as `pending` before the call; a write whose outcome is
 *    unknown (timeout, dropped connection, 5xx) is looked up by DocNumber before it is retried,
 *    and found means posted. QuickBooks' own requestid replay is a second line of defence.
 *  - Honest about failure: validation and closed-period faults become failure records with
 *    QuickBooks' code and message, without a retry loop; a 401 refreshes once, then retries.
 */
import {
  DOC_NUMBER_LOOKUP_CHUNK,
  isQboApiError,
  type QboError,
  type QboJournalApi,
  type QboJournalEntry,
} from './adapter.ts';
import { systemClock, type Clock } from './clock.ts';
import { RealmLimiter, type CallLimiter } from './limiter.ts';
import { linesHashOfQbo, toQboJournalEntry, type PlannedEntry } from './posting.ts';
import type { SyncRecord, SyncStore } from './sync-store.ts';

/** Attempts per entry before it is left for the next run (each 5xx/timeout costs one). */
export const ENTRY_ATTEMPTS_MAX = 6;
/** QuickBooks asks for 60 s of quiet after a 429 (`docs/quickbooks.md §6`). */
export const THROTTLE_BACKOFF_MS = 60_000;
/** First back-off after a 5xx or a lost response; doubles each time. */
export const SERVER_BACKOFF_BASE_MS = 1_000;
/** Cap on one back-off: longer waits belong to the next scheduled run, not this one. */
export const SERVER_BACKOFF_MAX_MS = 60_000;
/** Sync records read from the store in parallel at start-up (bounds open database queries). */
export const STORE_READ_CHUNK = 100;

export interface ExecuteOptions {
  tenantId: string;
  realmId: string;
  api: QboJournalApi;
  entries: readonly PlannedEntry[];
  store: SyncStore;
  limiter?: CallLimiter | undefined;
  clock?: Clock | undefined;
  /** Called once per entry on a 401: refresh the token and update the adapter. */
  refreshAuth?: (() => Promise<void>) | undefined;
  /** Retry entries that failed in an earlier run (after the user fixed the cause). */
  retryFailed?: boolean | undefined;
  /** Parallel workers; the limiter is what bounds requests in flight. */
  workers?: number | undefined;
}

export interface EntryFailure {
  requestId: string;
  docNumber: string;
  kind: QboError['kind'] | 'gave_up';
  code?: string | undefined;
  reason: string;
}

export interface ExecuteResult {
  posted: number;
  alreadyPosted: number;
  /** Writes whose response was lost but which the DocNumber lookup found committed. */
  recoveredByLookup: number;
  failed: EntryFailure[];
  /** Still pending with an unknown outcome after ENTRY_ATTEMPTS_MAX; the next run looks them up first. */
  unknown: string[];
  skippedFailed: number;
  apiCalls: number;
}

/** What one run shares between its workers. */
interface Run {
  opts: ExecuteOptions;
  clock: Clock;
  limiter: CallLimiter;
  result: ExecuteResult;
  /** The sync record of each planned entry as the run found it. */
  existingByRequest: Map<string, SyncRecord | undefined>;
  /** Pending entries the up-front lookup did not find: their earlier write did not commit. */
  resolvedAbsent: Set<string>;
  /** Pending entries the up-front lookup found posted. */
  recoveredUpFront: Set<string>;
}

/** One QuickBooks call under the realm's limiter, counted. */
function callApi<T>(run: Run, fn: () => Promise<T>): Promise<T> {
  run.result.apiCalls++;
  return run.limiter.run(fn);
}

async function markPostedFrom(run: Run, plan: PlannedEntry, je: QboJournalEntry): Promise<void> {
  const posted = { qboId: je.Id ?? '', syncToken: je.SyncToken ?? '0', linesHash: linesHashOfQbo(je, plan.currency) };
  await run.opts.store.markPosted(run.opts.realmId, plan.requestId, posted, run.clock.now_ms());
}

/** Reads the sync record of every planned entry, STORE_READ_CHUNK at a time. */
async function readExistingRecords(opts: ExecuteOptions): Promise<Map<string, SyncRecord | undefined>> {
  const existingByRequest = new Map<string, SyncRecord | undefined>();
  for (let i = 0; i < opts.entries.length; i += STORE_READ_CHUNK) {
    const chunk = opts.entries.slice(i, i + STORE_READ_CHUNK);
    const rows = await Promise.all(chunk.map((p) => opts.store.get(opts.realmId, p.requestId)));
    chunk.forEach((p, j) => existingByRequest.set(p.requestId, rows[j]));
  }
  return existingByRequest;
}

/**
 * Entries left pending by an earlier run (outcome unknown): look them up by DocNumber in chunks
 * before any write, so recovering from a crash costs one query per 50 entries.
 */
async function recoverPendingUpFront(run: Run): Promise<void> {
  const { opts, result } = run;
  const pendingPlans = opts.entries.filter((p) => run.existingByRequest.get(p.requestId)?.state === 'pending');
  for (let i = 0; i < pendingPlans.length; i += DOC_NUMBER_LOOKUP_CHUNK) {
    const chunk = pendingPlans.slice(i, i + DOC_NUMBER_LOOKUP_CHUNK);
    let found: QboJournalEntry[];
    try {
      found = await callApi(run, () => opts.api.findJournalEntriesByDocNumber(chunk.map((p) => p.docNumber)));
    } catch {
      continue; // Leave them unknown: each entry looks itself up, with retries, later.
    }
    const byDoc = new Map(found.map((je) => [je.DocNumber, je]));
    for (const p of chunk) {
      const je = byDoc.get(p.docNumber);
      if (je) {
        await markPostedFrom(run, p, je);
        run.recoveredUpFront.add(p.requestId);
        result.recoveredByLookup++;
      } else {
        run.resolvedAbsent.add(p.requestId);
      }
    }
  }
}

type Failure = QboError | { kind: 'gave_up'; message: string; code?: string | undefined; detail?: string | undefined };

/** Records an entry as failed, with QuickBooks' code and message. */
async function recordFailure(run: Run, plan: PlannedEntry, err: Failure): Promise<void> {
  const reason = err.detail && err.detail !== err.message ? `${err.message}: ${err.detail}` : err.message;
  await run.opts.store.markFailed(run.opts.realmId, plan.requestId, { reason, code: err.code }, run.clock.now_ms());
  run.result.failed.push({
    requestId: plan.requestId,
    docNumber: plan.docNumber,
    kind: err.kind,
    code: err.code,
    reason,
  });
}

/** Where one entry's attempts stand. */
interface Attempts {
  /** The outcome of an earlier write is unknown: look it up before creating. */
  unknown: boolean;
  authRetried: boolean;
  duplicateDocSeen: boolean;
  serverFailures: number;
  last?: QboError | undefined;
}

/** What to do after a QuickBooks failure: retry (costs an attempt), try again (free), or stop. */
type NextStep = 'retry' | 'again' | 'stop';

/** Decides, per kind of QuickBooks failure, whether and how the entry is tried again. */
async function afterQboFailure(run: Run, plan: PlannedEntry, err: QboError, attempts: Attempts): Promise<NextStep> {
  switch (err.kind) {
    case 'throttled':
      run.limiter.pause(THROTTLE_BACKOFF_MS);
      return 'retry';
    case 'server':
    case 'network':
    case 'timeout':
      // The write may or may not have happened: look before writing again.
      attempts.unknown = true;
      attempts.serverFailures++;
      await run.clock.sleep(
        Math.min(SERVER_BACKOFF_MAX_MS, SERVER_BACKOFF_BASE_MS * 2 ** (attempts.serverFailures - 1)),
      );
      return 'retry';
    case 'auth':
      if (!attempts.authRetried && run.opts.refreshAuth) {
        attempts.authRetried = true;
        try {
          await run.opts.refreshAuth();
        } catch (refreshError) {
          await recordFailure(run, plan, {
            kind: 'auth',
            message: `token refresh failed: ${(refreshError as Error).message}`,
            code: err.code,
          });
          return 'stop';
        }
        return 'again';
      }
      await recordFailure(run, plan, err);
      return 'stop';
    case 'validation':
      if (err.code === '6140' && !attempts.duplicateDocSeen) {
        // Duplicate DocNumber: most likely our own earlier write; find it.
        attempts.duplicateDocSeen = true;
        attempts.unknown = true;
        return 'again';
      }
      await recordFailure(run, plan, err);
      return 'stop';
    default:
      // closed_period, forbidden, not_found, stale: a person has to act; no retry loop.
      await recordFailure(run, plan, err);
      return 'stop';
  }
}

/** One try: look the entry up when its outcome is unknown, else (or if absent) create it. */
async function tryOnce(
  run: Run,
  plan: PlannedEntry,
  body: QboJournalEntry,
  attempts: Attempts,
): Promise<{ je: QboJournalEntry; recovered: boolean }> {
  if (attempts.unknown) {
    const found = await callApi(run, () => run.opts.api.findJournalEntriesByDocNumber([plan.docNumber]));
    const match = found.find((je) => je.DocNumber === plan.docNumber);
    if (match) return { je: match, recovered: true };
    attempts.unknown = false; // Not there: the earlier attempt did not commit, so creating is safe.
  }
  return { je: await callApi(run, () => run.opts.api.createJournalEntry(body, plan.requestId)), recovered: false };
}

/** Tries an entry up to ENTRY_ATTEMPTS_MAX times and records how it ended. */
async function attemptPosting(run: Run, plan: PlannedEntry, body: QboJournalEntry, unknown: boolean): Promise<void> {
  const attempts: Attempts = { unknown, authRetried: false, duplicateDocSeen: false, serverFailures: 0 };
  for (let attempt = 1; attempt <= ENTRY_ATTEMPTS_MAX;) {
    // Only QuickBooks calls sit inside the try: a store failure after a successful write must
    // not be mistaken for a QuickBooks failure (it propagates and stops the run, entry pending).
    let outcome: { je: QboJournalEntry; recovered: boolean };
    try {
      outcome = await tryOnce(run, plan, body, attempts);
    } catch (e) {
      // Not a QuickBooks answer: a bug. Leave the entry pending (its outcome is unknown) and stop.
      if (!isQboApiError(e)) throw e;
      attempts.last = e.error;
      const next = await afterQboFailure(run, plan, e.error, attempts);
      if (next === 'stop') return;
      if (next === 'retry') attempt++;
      continue;
    }
    await markPostedFrom(run, plan, outcome.je);
    if (outcome.recovered) run.result.recoveredByLookup++;
    else run.result.posted++;
    return;
  }
  if (attempts.unknown) {
    run.result.unknown.push(plan.requestId);
    return; // Left pending: the next run looks it up before creating.
  }
  const last = attempts.last;
  await recordFailure(run, plan, {
    kind: 'gave_up',
    message: `gave up after ${ENTRY_ATTEMPTS_MAX} attempts`,
    code: last?.code,
    detail: last?.message,
  });
}

/** Posts one planned entry unless it is already settled; records it pending before any call. */
async function postOne(run: Run, plan: PlannedEntry): Promise<void> {
  const { opts, result, clock } = run;
  if (run.recoveredUpFront.has(plan.requestId)) return;
  const existing = run.existingByRequest.get(plan.requestId);
  if (existing?.state === 'posted') {
    result.alreadyPosted++;
    return;
  }
  if (existing?.state === 'failed' && !opts.retryFailed) {
    result.skippedFailed++;
    return;
  }
  // A pending record from an earlier run: that write may have committed.
  const unknown = existing?.state === 'pending' && !run.resolvedAbsent.has(plan.requestId);
  await opts.store.markPending(
    {
      tenantId: opts.tenantId,
      realmId: opts.realmId,
      requestId: plan.requestId,
      docNumber: plan.docNumber,
      period: plan.period,
      txnDate: plan.txnDate,
      currency: plan.currency,
      linesHash: plan.linesHash,
      sourceEntryIds: plan.sourceEntryIds,
    },
    clock.now_ms(),
  );
  let body: QboJournalEntry;
  try {
    body = toQboJournalEntry(plan);
  } catch (e) {
    await opts.store.markFailed(opts.realmId, plan.requestId, { reason: (e as Error).message }, clock.now_ms());
    result.failed.push({
      requestId: plan.requestId,
      docNumber: plan.docNumber,
      kind: 'validation',
      reason: (e as Error).message,
    });
    return;
  }
  await attemptPosting(run, plan, body, unknown);
}

/** Posts planned entries; never throws for a QuickBooks failure, it records it. */
export async function executePostings(opts: ExecuteOptions): Promise<ExecuteResult> {
  const clock = opts.clock ?? systemClock;
  const limiter = opts.limiter ?? new RealmLimiter(clock);
  const result: ExecuteResult = {
    posted: 0,
    alreadyPosted: 0,
    recoveredByLookup: 0,
    failed: [],
    unknown: [],
    skippedFailed: 0,
    apiCalls: 0,
  };
  const existingByRequest = await readExistingRecords(opts);
  const run: Run = {
    opts,
    clock,
    limiter,
    result,
    existingByRequest,
    resolvedAbsent: new Set(),
    recoveredUpFront: new Set(),
  };
  await recoverPendingUpFront(run);

  let next = 0;
  const workers = Math.max(1, opts.workers ?? limiter.maxInFlight);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < opts.entries.length) {
        const plan = opts.entries[next++]!;
        await postOne(run, plan);
      }
    }),
  );
  return result;
}
