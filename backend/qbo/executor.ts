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
import { DOC_NUMBER_LOOKUP_CHUNK, isQboApiError, type QboError, type QboJournalApi, type QboJournalEntry } from './adapter.ts';
import { systemClock, type Clock } from './clock.ts';
import { RealmLimiter } from './limiter.ts';
import { linesHashOfQbo, toQboJournalEntry, type PlannedEntry } from './posting.ts';
import type { SyncRecord, SyncStore } from './sync-store.ts';

/** Attempts per entry before it is left for the next run (each 5xx/timeout costs one). */
export const MAX_ATTEMPTS_PER_ENTRY = 6;
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
  limiter?: RealmLimiter | undefined;
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
  /** Still pending with an unknown outcome after MAX_ATTEMPTS_PER_ENTRY; the next run looks them up first. */
  unknown: string[];
  skippedFailed: number;
  apiCalls: number;
}

/** Posts planned entries; never throws for a QuickBooks failure, it records it. */
export async function executePostings(opts: ExecuteOptions): Promise<ExecuteResult> {
  const clock = opts.clock ?? systemClock;
  const limiter = opts.limiter ?? new RealmLimiter(clock);
  const result: ExecuteResult = { posted: 0, alreadyPosted: 0, recoveredByLookup: 0, failed: [], unknown: [], skippedFailed: 0, apiCalls: 0 };

  const call = <T>(fn: () => Promise<T>): Promise<T> => {
    result.apiCalls++;
    return limiter.run(fn);
  };

  // Entries left pending by an earlier run (outcome unknown): look them up by DocNumber in
  // chunks before any write, so recovering from a crash costs one query per 50 entries.
  const existingByRequest = new Map<string, SyncRecord | undefined>();
  for (let i = 0; i < opts.entries.length; i += STORE_READ_CHUNK) {
    const chunk = opts.entries.slice(i, i + STORE_READ_CHUNK);
    const rows = await Promise.all(chunk.map((p) => opts.store.get(opts.realmId, p.requestId)));
    chunk.forEach((p, j) => existingByRequest.set(p.requestId, rows[j]));
  }
  const resolvedAbsent = new Set<string>();
  const recoveredUpFront = new Set<string>();
  const pendingPlans = opts.entries.filter((p) => existingByRequest.get(p.requestId)?.state === 'pending');
  for (let i = 0; i < pendingPlans.length; i += DOC_NUMBER_LOOKUP_CHUNK) {
    const chunk = pendingPlans.slice(i, i + DOC_NUMBER_LOOKUP_CHUNK);
    let found: QboJournalEntry[];
    try {
      found = await call(() => opts.api.findJournalEntriesByDocNumber(chunk.map((p) => p.docNumber)));
    } catch {
      continue; // Leave them unknown: each entry looks itself up, with retries, below.
    }
    const byDoc = new Map(found.map((je) => [je.DocNumber, je]));
    for (const p of chunk) {
      const je = byDoc.get(p.docNumber);
      if (je) {
        await opts.store.markPosted(opts.realmId, p.requestId, { qboId: je.Id ?? '', syncToken: je.SyncToken ?? '0', linesHash: linesHashOfQbo(je, p.currency) }, clock.now_ms());
        recoveredUpFront.add(p.requestId);
        result.recoveredByLookup++;
      } else {
        resolvedAbsent.add(p.requestId);
      }
    }
  }

  const postOne = async (plan: PlannedEntry): Promise<void> => {
    if (recoveredUpFront.has(plan.requestId)) return;
    const existing = existingByRequest.get(plan.requestId);
    if (existing?.state === 'posted') {
      result.alreadyPosted++;
      return;
    }
    if (existing?.state === 'failed' && !opts.retryFailed) {
      result.skippedFailed++;
      return;
    }
    // A pending record from an earlier run: that write may have committed.
    let unknown = existing?.state === 'pending' && !resolvedAbsent.has(plan.requestId);
    await opts.store.markPending(
      {
        tenantId: opts.tenantId, realmId: opts.realmId, requestId: plan.requestId, docNumber: plan.docNumber, period: plan.period,
        txnDate: plan.txnDate, currency: plan.currency, linesHash: plan.linesHash, sourceEntryIds: plan.sourceEntryIds,
      },
      clock.now_ms(),
    );
    let body: QboJournalEntry;
    try {
      body = toQboJournalEntry(plan);
    } catch (e) {
      await opts.store.markFailed(opts.realmId, plan.requestId, { reason: (e as Error).message }, clock.now_ms());
      result.failed.push({ requestId: plan.requestId, docNumber: plan.docNumber, kind: 'validation', reason: (e as Error).message });
      return;
    }
    let authRetried = false;
    let duplicateDocSeen = false;
    let serverFailures = 0;
    let last: QboError | undefined;

    const recordPosted = async (je: QboJournalEntry): Promise<void> => {
      await opts.store.markPosted(opts.realmId, plan.requestId, { qboId: je.Id ?? '', syncToken: je.SyncToken ?? '0', linesHash: linesHashOfQbo(je, plan.currency) }, clock.now_ms());
    };
    const fail = async (err: QboError | { kind: 'gave_up'; message: string; code?: string; detail?: string }): Promise<void> => {
      const reason = err.detail && err.detail !== err.message ? `${err.message}: ${err.detail}` : err.message;
      await opts.store.markFailed(opts.realmId, plan.requestId, { reason, code: err.code }, clock.now_ms());
      result.failed.push({ requestId: plan.requestId, docNumber: plan.docNumber, kind: err.kind, code: err.code, reason });
    };

    for (let attempt = 1; attempt <= MAX_ATTEMPTS_PER_ENTRY; ) {
      // Only QuickBooks calls sit inside the try: a store failure after a successful write must
      // not be mistaken for a QuickBooks failure (it propagates and stops the run, entry pending).
      let outcome: { je: QboJournalEntry; recovered: boolean } | undefined;
      try {
        if (unknown) {
          const found = await call(() => opts.api.findJournalEntriesByDocNumber([plan.docNumber]));
          const match = found.find((je) => je.DocNumber === plan.docNumber);
          if (match) outcome = { je: match, recovered: true };
          else unknown = false; // Not there: the earlier attempt did not commit, so creating is safe.
        }
        if (!outcome) outcome = { je: await call(() => opts.api.createJournalEntry(body, plan.requestId)), recovered: false };
      } catch (e) {
        if (!isQboApiError(e)) {
          // Not a QuickBooks answer: a bug. Leave the entry pending (its outcome is unknown) and stop.
          throw e;
        }
        const err = e.error;
        last = err;
        switch (err.kind) {
          case 'throttled':
            limiter.pause(THROTTLE_BACKOFF_MS);
            attempt++;
            continue;
          case 'server':
          case 'network':
          case 'timeout': {
            // The write may or may not have happened: look before writing again.
            unknown = true;
            serverFailures++;
            attempt++;
            await clock.sleep(Math.min(SERVER_BACKOFF_MAX_MS, SERVER_BACKOFF_BASE_MS * 2 ** (serverFailures - 1)));
            continue;
          }
          case 'auth':
            if (!authRetried && opts.refreshAuth) {
              authRetried = true;
              try {
                await opts.refreshAuth();
              } catch (refreshError) {
                await fail({ kind: 'auth', message: `token refresh failed: ${(refreshError as Error).message}`, code: err.code });
                return;
              }
              continue;
            }
            await fail(err);
            return;
          case 'validation':
            if (err.code === '6140' && !duplicateDocSeen) {
              // Duplicate DocNumber: most likely our own earlier write; find it.
              duplicateDocSeen = true;
              unknown = true;
              continue;
            }
            await fail(err);
            return;
          default:
            // closed_period, forbidden, not_found, stale: a person has to act; no retry loop.
            await fail(err);
            return;
        }
      }
      if (outcome) {
        await recordPosted(outcome.je);
        if (outcome.recovered) result.recoveredByLookup++;
        else result.posted++;
        return;
      }
    }
    if (unknown) {
      result.unknown.push(plan.requestId);
      return; // Left pending: the next run looks it up before creating.
    }
    await fail({ kind: 'gave_up', message: `gave up after ${MAX_ATTEMPTS_PER_ENTRY} attempts`, code: last?.code, detail: last?.message });
  };

  let next = 0;
  const workers = Math.max(1, opts.workers ?? limiter.maxInFlight);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < opts.entries.length) {
        const plan = opts.entries[next++]!;
        await postOne(plan);
      }
    }),
  );
  return result;
}
