/**
 * Bookkeeping of QuickBooks writes. Every planned entry's `requestId` is saved as `pending`
 * BEFORE the call (persist the id before you submit), then moves to `posted` with QuickBooks'
 * Id, SyncToken and lines hash, or to `failed` with QuickBooks' code and message. A `pending`
 * record found at start-up means an earlier outcome is unknown: look it up before re-creating.
 * The PostgreSQL implementation belongs to the database layer; this file has the in-memory one.
 */
import type { Currency } from '../../shared/money.ts';

export type SyncState = 'pending' | 'posted' | 'failed';

export interface SyncRecord {
  tenantId: string;
  realmId: string;
  requestId: string;
  docNumber: string;
  period: string;
  txnDate: string;
  currency: Currency;
  /** Hash of the lines we sent. */
  linesHash: string;
  sourceEntryIds: string[];
  state: SyncState;
  qboId?: string | undefined;
  syncToken?: string | undefined;
  /** Hash of the lines QuickBooks stored (equal to linesHash unless QuickBooks changed them). */
  postedLinesHash?: string | undefined;
  reason?: string | undefined;
  code?: string | undefined;
  attempts: number;
  updatedAt_ms: number;
}

export type PendingInput = Omit<
  SyncRecord,
  'state' | 'qboId' | 'syncToken' | 'postedLinesHash' | 'reason' | 'code' | 'attempts' | 'updatedAt_ms'
>;

export interface SyncStore {
  get(realmId: string, requestId: string): Promise<SyncRecord | undefined>;
  /** Inserts the record as pending, or moves a failed one back to pending; keeps posted ones. */
  markPending(input: PendingInput, now_ms: number): Promise<SyncRecord>;
  markPosted(
    realmId: string,
    requestId: string,
    posted: { qboId: string; syncToken: string; linesHash: string },
    now_ms: number,
  ): Promise<void>;
  markFailed(
    realmId: string,
    requestId: string,
    failure: { reason: string; code?: string | undefined },
    now_ms: number,
  ): Promise<void>;
  list(realmId: string, filter?: { state?: SyncState }): Promise<SyncRecord[]>;
}

export class InMemorySyncStore implements SyncStore {
  private readonly rows = new Map<string, SyncRecord>();
  private key(realmId: string, requestId: string): string {
    return `${realmId}\u0000${requestId}`;
  }
  async get(realmId: string, requestId: string): Promise<SyncRecord | undefined> {
    const r = this.rows.get(this.key(realmId, requestId));
    return r ? { ...r } : undefined;
  }
  async markPending(input: PendingInput, now_ms: number): Promise<SyncRecord> {
    const k = this.key(input.realmId, input.requestId);
    const cur = this.rows.get(k);
    if (cur?.state === 'posted') return { ...cur };
    const next: SyncRecord = { ...input, state: 'pending', attempts: (cur?.attempts ?? 0) + 1, updatedAt_ms: now_ms };
    this.rows.set(k, next);
    return { ...next };
  }
  async markPosted(
    realmId: string,
    requestId: string,
    posted: { qboId: string; syncToken: string; linesHash: string },
    now_ms: number,
  ): Promise<void> {
    const k = this.key(realmId, requestId);
    const cur = this.rows.get(k);
    if (!cur) throw new Error(`sync record ${requestId} was never marked pending`);
    this.rows.set(k, {
      ...cur,
      state: 'posted',
      qboId: posted.qboId,
      syncToken: posted.syncToken,
      postedLinesHash: posted.linesHash,
      reason: undefined,
      code: undefined,
      updatedAt_ms: now_ms,
    });
  }
  async markFailed(
    realmId: string,
    requestId: string,
    failure: { reason: string; code?: string | undefined },
    now_ms: number,
  ): Promise<void> {
    const k = this.key(realmId, requestId);
    const cur = this.rows.get(k);
    if (!cur) throw new Error(`sync record ${requestId} was never marked pending`);
    this.rows.set(k, { ...cur, state: 'failed', reason: failure.reason, code: failure.code, updatedAt_ms: now_ms });
  }
  async list(realmId: string, filter?: { state?: SyncState }): Promise<SyncRecord[]> {
    return [...this.rows.values()]
      .filter((r) => r.realmId === realmId && (!filter?.state || r.state === filter.state))
      .map((r) => ({ ...r }));
  }
}
