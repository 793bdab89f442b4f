/**
 * Our promise-based adapter over `node-quickbooks` (callbacks → promises) for one realm. It owns
 * the normalization of every failure QuickBooks or the network can produce into ONE shape,
 * `QboError`, so callers switch on `kind` instead of parsing Fault envelopes, gateway bodies,
 * AxiosErrors and 200-with-Fault responses (`docs/quickbooks.md §2, §5`). Every call passes
 * `minorversion: 75` explicitly and is bounded by a timeout of our own (node-quickbooks sets none).
 */
import QuickBooks from 'node-quickbooks';
import { currentEndpoints } from './endpoints.ts';

/** The minor version we code against (`docs/quickbooks.md §2`: 75 is the floor since 2025-08). */
export const QBO_MINOR_VERSION = 75;
/** QuickBooks gives up on a request after 120 s; we wait a little less and treat it as unknown. */
export const QBO_REQUEST_TIMEOUT_MS = 100_000;
/** DocNumbers per `IN (…)` lookup: keeps the query URL near 1.5 KB, far below proxy limits. */
export const DOC_NUMBER_LOOKUP_CHUNK = 50;
/** QuickBooks pages queries at most 1000 rows (`docs/quickbooks.md §4`). */
export const QUERY_PAGE_SIZE = 1000;
/** A chart of accounts beyond this is not one we can map sensibly; stop paging rather than loop. */
export const ACCOUNT_PAGES_MAX = 20;

export type QboErrorKind =
  | 'auth'
  | 'forbidden'
  | 'throttled'
  | 'server'
  | 'validation'
  | 'closed_period'
  | 'not_found'
  | 'stale'
  | 'network'
  | 'timeout';

export interface QboError {
  kind: QboErrorKind;
  /** QuickBooks' error code (a string, e.g. "6200"), when it sent one. */
  code?: string | undefined;
  message: string;
  detail?: string | undefined;
  intuitTid?: string | undefined;
  status?: number | undefined;
}

/** Thrown by every adapter method; `error` is the normalized shape. */
export class QboApiError extends Error {
  readonly error: QboError;
  constructor(error: QboError) {
    super(
      `QuickBooks ${error.kind}${error.code ? ` ${error.code}` : ''}: ${error.message}${error.detail && error.detail !== error.message ? ` (${error.detail})` : ''}`,
    );
    this.name = 'QboApiError';
    this.error = error;
  }
}

export function isQboApiError(e: unknown): e is QboApiError {
  return e instanceof QboApiError;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

const CODE_KINDS: Record<string, QboErrorKind> = {
  '100': 'auth',
  '3200': 'auth',
  '120': 'forbidden',
  '3100': 'forbidden',
  '3001': 'throttled',
  '6200': 'closed_period',
  '6210': 'closed_period',
  '610': 'not_found',
  '5010': 'stale',
  '10000': 'server',
};

/**
 * Normalizes anything node-quickbooks can call back with: an AxiosError (Fault in
 * `response.data.Fault`, gateway errors in lowercase `response.data.fault`, XML 429 bodies), a
 * 200 body carrying a Fault, or a socket-level error.
 */
export function normalizeQboError(err: unknown): QboError {
  if (err instanceof QboApiError) return err.error;
  const e = err as Json;
  const res = e?.response;
  const status: number | undefined = typeof res?.status === 'number' ? res.status : undefined;
  const data: Json = res ? res.data : e?.Fault || e?.fault ? e : undefined;
  const intuitTid: string | undefined = res?.headers?.intuit_tid ?? undefined;
  let first: Json = data?.Fault?.Error?.[0] ?? data?.fault?.error?.[0];
  if (!first && typeof data === 'string') {
    const code = /code="(\d+)"/.exec(data)?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(data)?.[1];
    const detail = /<Detail>([^<]*)<\/Detail>/.exec(data)?.[1];
    if (code || message) first = { code, Message: message, Detail: detail };
  }
  const code: string | undefined = first?.code !== undefined && first?.code !== null ? String(first.code) : undefined;
  const message: string = first?.Message ?? first?.message ?? e?.message ?? 'QuickBooks request failed';
  const detail: string | undefined = first?.Detail ?? first?.detail ?? undefined;
  const base = { code, message, detail, intuitTid, status };

  if (status === 401) return { kind: 'auth', ...base };
  if (status === 403) return { kind: 'forbidden', ...base };
  if (status === 429) return { kind: 'throttled', ...base };
  if (status !== undefined && status >= 500) return { kind: 'server', ...base };
  if (status === 404 && !code) return { kind: 'not_found', ...base };
  if (status === undefined && !first) {
    const sysCode: string | undefined = e?.code;
    if (sysCode === 'ECONNABORTED' || sysCode === 'ETIMEDOUT' || /timeout/i.test(String(e?.message)))
      return { kind: 'timeout', ...base, code: sysCode };
    return { kind: 'network', ...base, code: sysCode };
  }
  const byCode = code ? CODE_KINDS[code] : undefined;
  return { kind: byCode ?? 'validation', ...base };
}

// ---------------------------------------------------------------------------------------------
// Entity shapes we use (the subset of the XSD that Accrue reads or writes).

export interface QboRef {
  value: string;
  name?: string;
}

export interface QboJournalEntryLine {
  Id?: string;
  DetailType: 'JournalEntryLineDetail';
  Amount: number;
  Description?: string;
  JournalEntryLineDetail: {
    PostingType: 'Debit' | 'Credit';
    AccountRef: QboRef;
    Entity?: { Type: 'Customer' | 'Vendor' | 'Employee'; EntityRef: QboRef };
  };
}

export interface QboJournalEntry {
  Id?: string;
  SyncToken?: string;
  DocNumber?: string;
  TxnDate?: string;
  PrivateNote?: string;
  CurrencyRef?: QboRef;
  ExchangeRate?: number;
  Line: QboJournalEntryLine[];
  MetaData?: { CreateTime?: string; LastUpdatedTime?: string };
}

export interface QboAccount {
  Id: string;
  SyncToken?: string;
  Name: string;
  AccountType: string;
  AccountSubType?: string;
  Classification?: string;
  Active?: boolean;
  CurrencyRef?: QboRef;
}

export interface QboCustomer {
  Id: string;
  DisplayName: string;
  Active?: boolean;
  SyncToken?: string;
}

export interface QboPreferences {
  AccountingInfoPrefs?: { BookCloseDate?: string };
  CurrencyPrefs?: { MultiCurrencyEnabled?: boolean; HomeCurrency?: QboRef };
}

/** One object in a CDC answer: a full entity, or a tombstone `{Id, status:'Deleted'}`. */
export type CdcObject = Json & { Id: string; status?: string; SyncToken?: string };

export interface CdcResult {
  /** Entity name → changed objects (tombstones included). */
  changes: Record<string, CdcObject[]>;
  /** QuickBooks' own `time` of the answer; the next sweep starts from it minus a margin. */
  time?: string | undefined;
}

/** What the posting executor needs from QuickBooks; the adapter implements it. */
export interface QboJournalApi {
  createJournalEntry(entity: QboJournalEntry, requestId: string): Promise<QboJournalEntry>;
  findJournalEntriesByDocNumber(docNumbers: readonly string[]): Promise<QboJournalEntry[]>;
}

export interface QboAdapterOptions {
  realmId: string;
  accessToken: string;
  /** OAuth client id/secret: node-quickbooks only uses them for its own refresh, which we don't call. */
  clientId?: string;
  clientSecret?: string;
  timeout_ms?: number;
}

interface NodeQuickBooks {
  token: string;
  endpoint: string;
  [method: string]: Json;
}

type NodeQuickBooksCtor = new (...args: Json[]) => NodeQuickBooks;

/** Escapes a string for a QuickBooks query literal (backslash before quotes and backslashes). */
export function quoteQueryString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A promise-based QuickBooks client for one realm. */
export class QboAdapter implements QboJournalApi {
  readonly realmId: string;
  private readonly qbo: NodeQuickBooks;
  private readonly timeout_ms: number;

  constructor(opts: QboAdapterOptions) {
    this.realmId = opts.realmId;
    this.timeout_ms = opts.timeout_ms ?? QBO_REQUEST_TIMEOUT_MS;
    const endpoints = currentEndpoints();
    const Ctor = QuickBooks as unknown as NodeQuickBooksCtor;
    // Positional: consumerKey, consumerSecret, token, tokenSecret (false for OAuth 2), realmId,
    // useSandbox (true so the endpoint configured in endpoints.ts is used verbatim), debug,
    // minorversion (explicit), oauthversion, refreshToken (unused: refresh goes through oauth.ts).
    this.qbo = new Ctor(
      opts.clientId ?? '',
      opts.clientSecret ?? '',
      opts.accessToken,
      false,
      opts.realmId,
      true,
      false,
      QBO_MINOR_VERSION,
      '2.0',
      null,
    );
    this.qbo.endpoint = endpoints.companyBase;
  }

  /** Swaps in a fresh access token after a refresh. */
  setAccessToken(token: string): void {
    this.qbo.token = token;
  }

  /** Calls a node-quickbooks method and turns its callback into a promise with our error shape. */
  private call<T>(method: string, ...args: Json[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new QboApiError({ kind: 'timeout', message: `no answer from QuickBooks within ${this.timeout_ms} ms` }));
      }, this.timeout_ms);
      const fn = this.qbo[method] as (...a: Json[]) => void;
      try {
        fn.call(this.qbo, ...args, (err: Json, data: Json) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err) reject(new QboApiError(normalizeQboError(err)));
          else if (data && typeof data === 'object' && (data.Fault || data.fault))
            reject(new QboApiError(normalizeQboError(data)));
          else resolve(data as T);
        });
      } catch (e) {
        settled = true;
        clearTimeout(timer);
        reject(new QboApiError({ kind: 'validation', message: e instanceof Error ? e.message : String(e) }));
      }
    });
  }

  /** Creates a journal entry; `requestId` (≤ 50 chars) makes QuickBooks replay instead of re-create. */
  async createJournalEntry(entity: QboJournalEntry, requestId: string): Promise<QboJournalEntry> {
    // node-quickbooks deletes `requestId` from the object it is given, so hand it a copy.
    return this.call<QboJournalEntry>('createJournalEntry', { ...entity, requestId });
  }

  /** Finds live journal entries by DocNumber (deleted ones are not returned by QuickBooks). */
  async findJournalEntriesByDocNumber(docNumbers: readonly string[]): Promise<QboJournalEntry[]> {
    const unique = [...new Set(docNumbers)];
    const found: QboJournalEntry[] = [];
    for (let i = 0; i < unique.length; i += DOC_NUMBER_LOOKUP_CHUNK) {
      const chunk = unique.slice(i, i + DOC_NUMBER_LOOKUP_CHUNK);
      const data = await this.call<Json>('findJournalEntries', [
        { field: 'DocNumber', value: chunk, operator: 'IN' },
        { field: 'limit', value: QUERY_PAGE_SIZE },
      ]);
      found.push(...((data?.QueryResponse?.JournalEntry as QboJournalEntry[] | undefined) ?? []));
    }
    return found;
  }

  async getJournalEntry(id: string): Promise<QboJournalEntry> {
    return this.call<QboJournalEntry>('getJournalEntry', id);
  }

  /** The chart of accounts; inactive accounts too when asked (QuickBooks hides them by default). */
  async listAccounts(opts: { includeInactive?: boolean } = {}): Promise<QboAccount[]> {
    const out: QboAccount[] = [];
    for (let page = 0; page < ACCOUNT_PAGES_MAX; page++) {
      const criteria: Json[] = [];
      if (opts.includeInactive) criteria.push({ field: 'Active', value: [true, false], operator: 'IN' });
      criteria.push({ field: 'offset', value: page * QUERY_PAGE_SIZE + 1 }, { field: 'limit', value: QUERY_PAGE_SIZE });
      const data = await this.call<Json>('findAccounts', criteria);
      const rows = (data?.QueryResponse?.Account as QboAccount[] | undefined) ?? [];
      out.push(...rows);
      if (rows.length < QUERY_PAGE_SIZE) return out;
    }
    return out;
  }

  async createAccount(account: {
    Name: string;
    AccountType: string;
    AccountSubType?: string;
    Description?: string;
  }): Promise<QboAccount> {
    return this.call<QboAccount>('createAccount', { ...account });
  }

  async findCustomerByDisplayName(displayName: string): Promise<QboCustomer | undefined> {
    const data = await this.call<Json>('findCustomers', [
      { field: 'DisplayName', value: displayName, operator: '=' },
      { field: 'Active', value: [true, false], operator: 'IN' },
    ]);
    return ((data?.QueryResponse?.Customer as QboCustomer[] | undefined) ?? [])[0];
  }

  async createCustomer(customer: {
    DisplayName: string;
    CompanyName?: string;
    PrimaryEmailAddr?: { Address: string };
  }): Promise<QboCustomer> {
    return this.call<QboCustomer>('createCustomer', { ...customer });
  }

  async getPreferences(): Promise<QboPreferences> {
    return this.call<QboPreferences>('getPreferences');
  }

  /**
   * Change data capture since `sinceIsoZ`, which must be a UTC ISO timestamp ending in `Z`:
   * node-quickbooks neither URL-encodes the value nor formats offsets safely (`docs/quickbooks.md §2, §8`).
   */
  async changeDataCapture(entities: readonly string[], sinceIsoZ: string): Promise<CdcResult> {
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(sinceIsoZ)) {
      throw new QboApiError({
        kind: 'validation',
        message: `changedSince must be a UTC ISO timestamp ending in Z, got "${sinceIsoZ}"`,
      });
    }
    const data = await this.call<Json>('changeDataCapture', [...entities], sinceIsoZ);
    const changes: Record<string, CdcObject[]> = {};
    for (const e of entities) changes[e] = [];
    for (const resp of data?.CDCResponse ?? []) {
      for (const qr of resp?.QueryResponse ?? []) {
        for (const [k, v] of Object.entries(qr ?? {})) {
          if (Array.isArray(v)) changes[k] = [...(changes[k] ?? []), ...(v as CdcObject[])];
        }
      }
    }
    return { changes, time: data?.time };
  }
}
