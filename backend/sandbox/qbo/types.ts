/** The fake QuickBooks' public types: its options, its fault specifications and its control surface. */
import type { SeedAccount } from './accounts.ts';
import type { WebhookChange } from './webhooks.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
/** QuickBooks bodies are loosely typed JSON; the fake reads and writes them as such. */
export type Json = any;
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface FakeClock {
  now_ms(): number;
}

export interface ThrottleSettings {
  enabled?: boolean;
  perMinute?: number;
  concurrent?: number;
  /** Answer 429 with the XML body QuickBooks sometimes sends instead of JSON. */
  xmlBody?: boolean;
}

export interface FakeQboOptions {
  /** Shared with the code under test so both agree on time (e.g. a scaled clock). */
  clock?: FakeClock;
  /** Throttling: on by default at QuickBooks' real limits. */
  throttle?: ThrottleSettings;
  /** Seed for the random fault generator, so a failing run replays exactly. */
  seed?: number;
  /**
   * Code for unbalanced entries: Intuit's documentation says 2300, the live value is unverified
   * (docs/quickbooks.md §5 Errors and faults).
   */
  unbalancedCode?: string;
  /** Ignore `requestid` entirely, to exercise the client's own DocNumber dedupe. */
  ignoreRequestIds?: boolean;
  refreshRotateAfter_ms?: number;
  oldRefreshGrace_ms?: number;
  accessTokenTtl_s?: number;
  /** Artificial service time per API request, to make concurrency observable. */
  latency_ms?: number;
}

export interface FaultMatch {
  method?: 'GET' | 'POST';
  /** Lower-case entity segment (`journalentry`, `query`, `cdc`…). */
  entity?: string;
  operation?: 'create' | 'update' | 'delete' | 'read' | 'query';
}

export type FaultSpec =
  | { kind: 'status'; status: number; times?: number; match?: FaultMatch }
  | { kind: 'timeout'; hang_ms: number; commit?: boolean; times?: number; match?: FaultMatch }
  | { kind: 'drop_after_commit'; times?: number; match?: FaultMatch }
  | { kind: 'throttle'; times?: number; match?: FaultMatch }
  /** Every matching request answers `status` (503 by default) until the fake's clock reaches `until_ms`. */
  | { kind: 'outage'; until_ms: number; status?: number; match?: FaultMatch };

export interface RealmStats {
  requests: number;
  inFlight: number;
  peakInFlight: number;
  /** Most requests seen in any sliding 60-second window (by the fake's clock). */
  peakPerMinute: number;
  throttled: number;
  dropped: number;
  timeouts: number;
  injected5xx: number;
  replays: number;
  byOperation: Record<string, number>;
  /** Requests per `minorversion` query value (`none` when absent). */
  minorVersions: Record<string, number>;
}

export interface WebhookTarget {
  url: string;
  verifierToken: string;
  format?: 'cloudevents' | 'legacy';
}

export interface CreateRealmOptions {
  realmId?: string;
  companyName?: string;
  homeCurrency?: string;
  multicurrency?: boolean;
  accounts?: SeedAccount[];
}

export interface OAuthCounters {
  tokenCalls: number;
  refreshCalls: number;
  revokeCalls: number;
  invalidGrants: number;
}

export interface FakeQbo {
  url: string;
  close(): Promise<void>;
  registerApp(app: { clientId: string; clientSecret: string; redirectUris: string[] }): void;
  createRealm(opts?: CreateRealmOptions): string;
  seedAccounts(realmId: string, accounts: SeedAccount[]): string[];
  /** Issues an access token for a realm directly (tests that do not exercise OAuth). */
  issueAccessToken(realmId: string, clientId?: string): string;
  expireAccessTokens(realmId?: string): void;
  /** Which realm the authorize stub grants next, and whether the user denies. */
  setAuthorizeOutcome(o: { realmId?: string; deny?: boolean }): void;
  setBookCloseDate(realmId: string, date: string | undefined, opts?: { password?: boolean }): void;
  setAllowDuplicateDocNum(realmId: string, allow: boolean): void;
  setAccountActive(realmId: string, accountId: string, active: boolean): void;
  /** Edits a journal entry as an accountant would: bumps SyncToken and LastUpdatedTime. */
  editJournalEntry(realmId: string, id: string, edit: (je: Json) => void): Json;
  /** Deletes a journal entry as an accountant would: leaves a CDC tombstone. */
  deleteJournalEntry(realmId: string, id: string): void;
  journalEntries(realmId: string): Json[];
  accounts(realmId: string, opts?: { includeInactive?: boolean }): Json[];
  customers(realmId: string): Json[];
  /** Net debit-positive minor units per account id over live journal entries (optionally one month `YYYY-MM`). */
  accountTotals(realmId: string, opts?: { month?: string }): Map<string, bigint>;
  stats(realmId: string): RealmStats;
  resetStats(realmId: string): void;
  injectFault(realmId: string, fault: FaultSpec): void;
  /** Drops this share of write responses after committing them (seeded). */
  setDropRate(realmId: string, rate: number): void;
  setThrottle(opts: ThrottleSettings): void;
  /** Where accountant changes are delivered as signed webhooks when `flushWebhooks` runs. */
  setWebhookTarget(target: WebhookTarget | undefined): void;
  /** POSTs the queued change events (from editJournalEntry, deleteJournalEntry, setAccountActive); returns HTTP statuses. */
  flushWebhooks(): Promise<number[]>;
  pendingWebhookEvents(): WebhookChange[];
  setLatency(ms: number): void;
  /** Counts of OAuth endpoint calls. */
  oauthStats(): OAuthCounters;
}
