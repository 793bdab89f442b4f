/**
 * A fake QuickBooks Online on 127.0.0.1, faithful enough that the real `node-quickbooks` and
 * `intuit-oauth` talk to it unchanged (qbo.md §11). It owns: OAuth (authorize stub, single-use
 * codes, refresh rotation, invalid_grant, revoke), Bearer auth with the gateway's lowercase
 * 401/403 bodies, realm routing, JournalEntry/Account/Customer CRUD and queries, requestid
 * replay, DocNumber uniqueness, BookCloseDate, Preferences, CDC with delete tombstones, batch,
 * throttling that COUNTS peak in-flight and per-minute requests, and fault injection (timeouts,
 * responses dropped after the write committed, 5xx bursts). Test helpers act as an accountant
 * would (edit, delete, close the books) and sign webhooks.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseQuery, QueryError, runQuery } from './query.ts';
import { prng as mulberry32 } from '../../../shared/prng.ts';

// ---------------------------------------------------------------------------------------------
// Limits and lifetimes, as QuickBooks documents them (qbo.md §0, §7).

/** QuickBooks allows 500 requests per minute per realm. */
export const QBO_REQUESTS_PER_MINUTE = 500;
/** …and at most 10 concurrent requests per realm and app. */
export const QBO_MAX_CONCURRENT = 10;
/** Access tokens live one hour. */
export const ACCESS_TOKEN_TTL_S = 3600;
/** Refresh tokens roll forward about 101 days from each use. */
export const REFRESH_TOKEN_TTL_S = 8_726_400;
/** The refresh token value rotates about every 24 hours… */
export const REFRESH_ROTATE_AFTER_MS = 24 * 3600 * 1000;
/** …and a superseded value keeps working for 24 hours more. */
export const OLD_REFRESH_GRACE_MS = 24 * 3600 * 1000;
/** Five-year absolute cap on a grant (2025 policy). */
export const REFRESH_HARD_TTL_S = 5 * 365 * 24 * 3600;
/** Authorization codes are short-lived; Intuit does not publish the number, 5 minutes is typical. */
export const AUTH_CODE_TTL_MS = 5 * 60 * 1000;
/** CDC looks back at most 30 days and returns at most 1000 objects. */
export const CDC_MAX_LOOKBACK_MS = 30 * 24 * 3600 * 1000;
export const CDC_MAX_OBJECTS = 1000;
/** Batch requests carry at most 30 items. */
export const BATCH_MAX_ITEMS = 30;
/** requestid is at most 50 characters. */
export const REQUEST_ID_MAX_CHARS = 50;
/** DocNumber is at most 21 characters. */
export const DOC_NUMBER_MAX_CHARS = 21;
/** The fake's company time zone offset, used in MetaData and `time` fields (PST, no DST). */
const COMPANY_OFFSET_MIN = -8 * 60;

export const ACCOUNT_TYPES = [
  'Bank', 'Accounts Receivable', 'Other Current Asset', 'Fixed Asset', 'Other Asset', 'Accounts Payable', 'Credit Card',
  'Other Current Liability', 'Long Term Liability', 'Equity', 'Income', 'Cost of Goods Sold', 'Expense', 'Other Income',
  'Other Expense', 'Non-Posting',
] as const;

const CLASSIFICATION: Record<string, string> = {
  Bank: 'Asset', 'Accounts Receivable': 'Asset', 'Other Current Asset': 'Asset', 'Fixed Asset': 'Asset', 'Other Asset': 'Asset',
  'Accounts Payable': 'Liability', 'Credit Card': 'Liability', 'Other Current Liability': 'Liability', 'Long Term Liability': 'Liability',
  Equity: 'Equity', Income: 'Revenue', 'Other Income': 'Revenue', 'Cost of Goods Sold': 'Expense', Expense: 'Expense',
  'Other Expense': 'Expense', 'Non-Posting': 'Non-Posting',
};

// ---------------------------------------------------------------------------------------------
// Types

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = any;

export interface FakeClock {
  now_ms(): number;
}

export interface FakeQboOptions {
  /** Shared with the code under test so both agree on time (e.g. a scaled clock). */
  clock?: FakeClock;
  /** Throttling: on by default at QuickBooks' real limits. */
  throttle?: { enabled?: boolean; perMinute?: number; concurrent?: number; xmlBody?: boolean };
  /** Seed for the random fault generator, so a failing run replays exactly. */
  seed?: number;
  /** Code for unbalanced entries: the docs say 2300, the live value is unverified (qbo.md §12). */
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
  | { kind: 'throttle'; times?: number; match?: FaultMatch };

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

interface StoredObject {
  data: Json;
  updated_ms: number;
}

interface Tombstone {
  id: string;
  deleted_ms: number;
}

interface Realm {
  id: string;
  companyName: string;
  homeCurrency: string;
  multicurrency: boolean;
  bookCloseDate?: string | undefined;
  closingPassword: boolean;
  allowDuplicateDocNum: boolean;
  nextId: number;
  entities: Map<string, Map<string, StoredObject>>;
  tombstones: Map<string, Map<string, Tombstone>>;
  requestIds: Map<string, { status: number; body: Json }>;
  window: number[];
  stats: RealmStats;
  prefsUpdated_ms: number;
}

interface Grant {
  id: string;
  clientId: string;
  realmId: string;
  revoked: boolean;
  hardExpires_ms: number;
  currentRefresh: string;
  currentRefreshIssued_ms: number;
}

interface RefreshRecord {
  grantId: string;
  validUntil_ms: number;
  /** Set when a newer value replaced this one; it dies at this instant. */
  diesAt_ms?: number | undefined;
}

class Fault extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
  ) {
    super(JSON.stringify(body));
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers


function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** ISO time in the company's offset, as QuickBooks writes it (`2026-11-30T10:02:11.512-08:00`). */
function companyTime(ms: number, withMillis: boolean): string {
  const d = new Date(ms + COMPANY_OFFSET_MIN * 60_000);
  const sign = COMPANY_OFFSET_MIN < 0 ? '-' : '+';
  const off = Math.abs(COMPANY_OFFSET_MIN);
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${base}${withMillis ? '.' + pad(d.getUTCMilliseconds(), 3) : ''}${sign}${pad(Math.floor(off / 60))}:${pad(off % 60)}`;
}

function companyDate(ms: number): string {
  return companyTime(ms, false).slice(0, 10);
}

function validationFault(code: string, message: string, detail?: string, element = ''): Fault {
  return new Fault(400, { Fault: { Error: [{ Message: message, Detail: detail ?? message, code, element }], type: 'ValidationFault' } });
}

function gatewayFault(status: number, code: string, label: string, detail: string, type: string): Json {
  return {
    warnings: null,
    intuitObject: null,
    fault: { error: [{ message: `message=${label}; errorCode=${code.padStart(6, '0')}; statusCode=${status}`, detail, code, element: null }], type },
    report: null,
    queryResponse: null,
    batchItemResponse: [],
    attachableResponse: [],
    syncErrorResponse: null,
    requestId: null,
    status: null,
    cdcresponse: [],
  };
}

/** Parses a decimal JSON amount into integer units at `exponent` decimals, refusing finer input. */
function toUnits(amount: unknown, exponent: number): bigint | undefined {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return undefined;
  const text = String(amount);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  const frac = m[3] ?? '';
  if (frac.length > exponent) return undefined;
  const v = BigInt(m[2]! + frac.padEnd(exponent, '0'));
  return m[1] === '-' ? -v : v;
}

function exponentOf(currency: string): number {
  const c = currency.toUpperCase();
  if (['JPY', 'KRW', 'CLP', 'VND', 'ISK', 'HUF_NOT'].includes(c)) return 0;
  if (['BHD', 'KWD', 'JOD', 'OMR', 'TND', 'IQD', 'LYD'].includes(c)) return 3;
  return 2;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

const ENTITY_NAMES: Record<string, string> = {
  journalentry: 'JournalEntry',
  account: 'Account',
  customer: 'Customer',
  preferences: 'Preferences',
  companyinfo: 'CompanyInfo',
  vendor: 'Vendor',
};

// ---------------------------------------------------------------------------------------------

export interface SeedAccount {
  Name: string;
  AccountType: string;
  AccountSubType?: string;
  Active?: boolean;
}

/** A small default chart, like a new QuickBooks company's. */
export const DEFAULT_CHART: SeedAccount[] = [
  { Name: 'Checking', AccountType: 'Bank', AccountSubType: 'Checking' },
  { Name: 'Accounts Receivable (A/R)', AccountType: 'Accounts Receivable', AccountSubType: 'AccountsReceivable' },
  { Name: 'Undeposited Funds', AccountType: 'Other Current Asset', AccountSubType: 'UndepositedFunds' },
  { Name: 'Services', AccountType: 'Income', AccountSubType: 'ServiceFeeIncome' },
  { Name: 'Bank Charges', AccountType: 'Expense', AccountSubType: 'BankCharges' },
  { Name: 'Opening Balance Equity', AccountType: 'Equity', AccountSubType: 'OpeningBalanceEquity' },
];

export interface FakeQbo {
  url: string;
  close(): Promise<void>;
  registerApp(app: { clientId: string; clientSecret: string; redirectUris: string[] }): void;
  createRealm(opts?: { realmId?: string; companyName?: string; homeCurrency?: string; multicurrency?: boolean; accounts?: SeedAccount[] }): string;
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
  setThrottle(opts: { enabled?: boolean; perMinute?: number; concurrent?: number; xmlBody?: boolean }): void;
  /** Where accountant changes are delivered as signed webhooks when `flushWebhooks` runs. */
  setWebhookTarget(target: { url: string; verifierToken: string; format?: 'cloudevents' | 'legacy' } | undefined): void;
  /** POSTs the queued change events (from editJournalEntry, deleteJournalEntry, setAccountActive); returns HTTP statuses. */
  flushWebhooks(): Promise<number[]>;
  pendingWebhookEvents(): WebhookChange[];
  setLatency(ms: number): void;
  /** Counts of OAuth endpoint calls. */
  oauthStats(): { tokenCalls: number; refreshCalls: number; revokeCalls: number; invalidGrants: number };
}

/** Starts the fake on 127.0.0.1 (random port unless given). */
export async function startFakeQbo(options: FakeQboOptions = {}, port = 0): Promise<FakeQbo> {
  const clock = options.clock ?? { now_ms: () => Date.now() };
  const rng = mulberry32(options.seed ?? 1);
  const throttle = {
    enabled: options.throttle?.enabled ?? true,
    perMinute: options.throttle?.perMinute ?? QBO_REQUESTS_PER_MINUTE,
    concurrent: options.throttle?.concurrent ?? QBO_MAX_CONCURRENT,
    xmlBody: options.throttle?.xmlBody ?? false,
  };
  let latency_ms = options.latency_ms ?? 0;
  const unbalancedCode = options.unbalancedCode ?? '2300';
  const rotateAfter = options.refreshRotateAfter_ms ?? REFRESH_ROTATE_AFTER_MS;
  const grace = options.oldRefreshGrace_ms ?? OLD_REFRESH_GRACE_MS;
  const accessTtl = options.accessTokenTtl_s ?? ACCESS_TOKEN_TTL_S;

  const realms = new Map<string, Realm>();
  const apps = new Map<string, { secret: string; redirectUris: string[] }>();
  const codes = new Map<string, { clientId: string; redirectUri: string; realmId: string; expires_ms: number; used: boolean; grantId?: string }>();
  const grants = new Map<string, Grant>();
  const refreshTokens = new Map<string, RefreshRecord>();
  const accessTokens = new Map<string, { grantId?: string; realmId: string; expires_ms: number }>();
  const faults = new Map<string, FaultSpec[]>();
  const dropRates = new Map<string, number>();
  const oauthCounters = { tokenCalls: 0, refreshCalls: 0, revokeCalls: 0, invalidGrants: 0 };
  let authorizeOutcome: { realmId?: string; deny?: boolean } = {};
  let webhookTarget: { url: string; verifierToken: string; format?: 'cloudevents' | 'legacy' } | undefined;
  let webhookQueue: WebhookChange[] = [];
  const queueEvent = (c: Omit<WebhookChange, 'time'>): void => {
    webhookQueue.push({ ...c, time: new Date(clock.now_ms()).toISOString() });
  };
  const timers = new Set<NodeJS.Timeout>();

  const newStats = (): RealmStats => ({
    requests: 0, inFlight: 0, peakInFlight: 0, peakPerMinute: 0, throttled: 0, dropped: 0, timeouts: 0, injected5xx: 0, replays: 0, byOperation: {}, minorVersions: {},
  });

  const realmOf = (realmId: string): Realm => {
    const r = realms.get(realmId);
    if (!r) throw new Error(`fake QBO: no realm ${realmId}`);
    return r;
  };
  const table = (realm: Realm, entity: string): Map<string, StoredObject> => {
    let t = realm.entities.get(entity);
    if (!t) realm.entities.set(entity, (t = new Map()));
    return t;
  };
  const tombs = (realm: Realm, entity: string): Map<string, Tombstone> => {
    let t = realm.tombstones.get(entity);
    if (!t) realm.tombstones.set(entity, (t = new Map()));
    return t;
  };
  const meta = (created_ms: number, updated_ms: number): Json => ({
    CreateTime: companyTime(created_ms, false),
    LastUpdatedTime: companyTime(updated_ms, false),
  });
  const nowTime = (): string => companyTime(clock.now_ms(), true);

  // --- Accounts --------------------------------------------------------------------------------

  const createAccount = (realm: Realm, body: Json): Json => {
    if (body.Id !== undefined) throw validationFault('610', 'Object Not Found', 'Object Not Found : Another user has deleted this transaction.');
    const name = typeof body.Name === 'string' ? body.Name.trim() : '';
    if (!name) throw validationFault('2020', 'Required param missing, need to supply the required value for the API', 'Required parameter Name is missing in the request', 'Name');
    if (name.length > 100) throw validationFault('2050', 'String length is either shorter or longer than supported by specification', 'Name is too long', 'Name');
    if (!body.AccountType && !body.AccountSubType) throw validationFault('6010', 'Invalid account type', 'You must select an account type and detail type.');
    if (body.AccountType && !(ACCOUNT_TYPES as readonly string[]).includes(body.AccountType)) {
      throw validationFault('2170', 'Invalid Enumeration', `Invalid Enumeration : ${body.AccountType}`, 'AccountType');
    }
    for (const a of table(realm, 'Account').values()) {
      if (String(a.data.Name).toLowerCase() === name.toLowerCase()) {
        throw validationFault('6240', 'Duplicate Name Exists Error', `The name supplied already exists. : Id=${a.data.Id}`);
      }
    }
    const now = clock.now_ms();
    const id = String(realm.nextId++);
    const type = body.AccountType ?? 'Other Current Asset';
    const acct: Json = {
      Name: name,
      SubAccount: false,
      FullyQualifiedName: name,
      Active: body.Active ?? true,
      Classification: CLASSIFICATION[type],
      AccountType: type,
      AccountSubType: body.AccountSubType ?? undefined,
      CurrentBalance: 0,
      CurrentBalanceWithSubAccounts: 0,
      CurrencyRef: { value: realm.homeCurrency, name: realm.homeCurrency },
      domain: 'QBO',
      sparse: false,
      Id: id,
      SyncToken: '0',
      MetaData: meta(now, now),
    };
    if (body.Description) acct.Description = body.Description;
    if (body.AcctNum) acct.AcctNum = body.AcctNum;
    table(realm, 'Account').set(id, { data: clone(acct), updated_ms: now });
    return acct;
  };

  const updateAccount = (realm: Realm, body: Json): Json => {
    const cur = table(realm, 'Account').get(String(body.Id));
    if (!cur) throw validationFault('610', 'Object Not Found', `Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.`);
    if (String(body.SyncToken) !== cur.data.SyncToken) throw validationFault('5010', 'Stale Object Error', 'Stale Object Error : You and another user were working on the same thing.');
    const next = body.sparse === false ? { ...body } : { ...cur.data, ...body };
    delete next.sparse;
    const now = clock.now_ms();
    next.Id = cur.data.Id;
    next.SyncToken = String(Number(cur.data.SyncToken) + 1);
    next.domain = 'QBO';
    next.sparse = false;
    next.Classification = CLASSIFICATION[next.AccountType];
    next.FullyQualifiedName = next.Name;
    next.MetaData = meta(Date.parse(cur.data.MetaData.CreateTime), now);
    cur.data = clone(next);
    cur.updated_ms = now;
    return next;
  };

  // --- Customers -------------------------------------------------------------------------------

  const createCustomer = (realm: Realm, body: Json): Json => {
    const given = [body.GivenName, body.FamilyName].filter(Boolean).join(' ');
    const name = String(body.DisplayName || given || body.CompanyName || '').trim();
    if (!name) throw validationFault('6080', 'Name required', 'You must fill out at least one of: Title, First, Middle, Last, Suffix, Display Name, Company.');
    for (const c of table(realm, 'Customer').values()) {
      if (String(c.data.DisplayName).toLowerCase() === name.toLowerCase()) {
        throw validationFault('6240', 'Duplicate Name Exists Error', `The name supplied already exists. : Id=${c.data.Id}`);
      }
    }
    const now = clock.now_ms();
    const id = String(realm.nextId++);
    const cust: Json = {
      ...body,
      DisplayName: name,
      FullyQualifiedName: name,
      PrintOnCheckName: name,
      Active: body.Active ?? true,
      Balance: 0,
      domain: 'QBO',
      sparse: false,
      Id: id,
      SyncToken: '0',
      MetaData: meta(now, now),
    };
    table(realm, 'Customer').set(id, { data: clone(cust), updated_ms: now });
    return cust;
  };

  // --- Journal entries -------------------------------------------------------------------------

  /** Validates and normalizes a journal entry body the way QuickBooks would; returns the stored form. */
  const normalizeJournalEntry = (realm: Realm, body: Json, opts: { allowDupDoc: boolean; selfId?: string }): Json => {
    const lines = body.Line;
    if (!Array.isArray(lines) || lines.length === 0) {
      throw validationFault('2020', 'Required param missing, need to supply the required value for the API', 'Required parameter Line is missing in the request', 'Line');
    }
    let currency = realm.homeCurrency;
    let exchangeRate: number | undefined;
    if (realm.multicurrency) {
      if (!body.CurrencyRef?.value) throw validationFault('2020', 'Required param missing, need to supply the required value for the API', 'Required parameter CurrencyRef is missing in the request', 'CurrencyRef');
      currency = String(body.CurrencyRef.value).toUpperCase();
      if (currency !== realm.homeCurrency) {
        if (typeof body.ExchangeRate !== 'number' || !(body.ExchangeRate > 0)) {
          throw validationFault('2020', 'Required param missing, need to supply the required value for the API', 'Required parameter ExchangeRate is missing in the request', 'ExchangeRate');
        }
        exchangeRate = body.ExchangeRate;
      } else exchangeRate = 1;
    } else if (body.CurrencyRef?.value && String(body.CurrencyRef.value).toUpperCase() !== realm.homeCurrency) {
      throw validationFault('6000', 'A business validation error has occurred while processing your request', 'Business Validation Error: Multicurrency is not enabled for this company.');
    }
    const exp = exponentOf(currency);
    let debits = 0n;
    let credits = 0n;
    let nDebit = 0;
    let nCredit = 0;
    const outLines: Json[] = [];
    lines.forEach((line: Json, i: number) => {
      if (line.DetailType === 'DescriptionOnly') {
        outLines.push({ Id: String(i), DetailType: 'DescriptionOnly', Description: line.Description, DescriptionLineDetail: {} });
        return;
      }
      if (line.DetailType !== 'JournalEntryLineDetail' || !line.JournalEntryLineDetail) {
        throw validationFault('2020', 'Required param missing, need to supply the required value for the API', 'Required parameter Line.DetailType is missing in the request', 'Line.DetailType');
      }
      const d = line.JournalEntryLineDetail;
      if (!d.PostingType) throw validationFault('2260', 'Posting type is missing', 'Required parameter PostingType is missing in the request', 'Line.JournalEntryLineDetail.PostingType');
      if (d.PostingType !== 'Debit' && d.PostingType !== 'Credit') throw validationFault('2170', 'Invalid Enumeration', `Invalid Enumeration : ${d.PostingType}`, 'PostingType');
      const units = toUnits(line.Amount, exp);
      if (units === undefined) throw validationFault('2090', 'Invalid Number', `Invalid number for Amount: ${line.Amount}`, 'Line.Amount');
      if (units < 0n) throw validationFault('2290', 'NegativeAmount', 'Amount must be zero or greater', 'Line.Amount');
      const acctId = d.AccountRef?.value;
      if (!acctId) throw validationFault('2020', 'Required param missing, need to supply the required value for the API', 'Required parameter AccountRef is missing in the request', 'AccountRef');
      const acct = table(realm, 'Account').get(String(acctId));
      if (!acct) throw validationFault('2500', 'Invalid Reference Id', `Invalid Reference Id : Accounts element id ${acctId} not found`, 'AccountRef');
      if (acct.data.Active === false) {
        throw validationFault('610', 'Object Not Found', "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.");
      }
      const outDetail: Json = { PostingType: d.PostingType, AccountRef: { value: acct.data.Id, name: acct.data.Name } };
      if (acct.data.AccountType === 'Accounts Receivable') {
        const custId = d.Entity?.Type === 'Customer' ? d.Entity?.EntityRef?.value : undefined;
        if (!custId) throw validationFault('6000', 'A business validation error has occurred while processing your request', 'Business Validation Error: When you use Accounts Receivable, you must choose a customer in the Name field.');
      }
      if (acct.data.AccountType === 'Accounts Payable' && d.Entity?.Type !== 'Vendor') {
        throw validationFault('6000', 'A business validation error has occurred while processing your request', 'Business Validation Error: When you use Accounts Payable, you must choose a vendor in the Name field.');
      }
      if (d.Entity) {
        const refId = String(d.Entity.EntityRef?.value ?? '');
        if (d.Entity.Type === 'Customer') {
          const cust = table(realm, 'Customer').get(refId);
          if (!cust) throw validationFault('2500', 'Invalid Reference Id', `Invalid Reference Id : Names element id ${refId} not found`, 'Entity');
          outDetail.Entity = { Type: 'Customer', EntityRef: { value: refId, name: cust.data.DisplayName } };
        } else {
          outDetail.Entity = { Type: d.Entity.Type, EntityRef: { value: refId } };
        }
      }
      if (d.PostingType === 'Debit') {
        debits += units;
        nDebit++;
      } else {
        credits += units;
        nCredit++;
      }
      const out: Json = { Id: String(i), DetailType: 'JournalEntryLineDetail', Amount: line.Amount, JournalEntryLineDetail: outDetail };
      if (line.Description !== undefined) {
        if (String(line.Description).length > 4000) throw validationFault('2050', 'String length is either shorter or longer than supported by specification', 'Description is too long', 'Line.Description');
        out.Description = line.Description;
      }
      outLines.push(out);
    });
    if (nDebit === 0 || nCredit === 0) {
      throw validationFault('6000', 'A business validation error has occurred while processing your request', 'Business Validation Error: A journal entry needs at least one debit and one credit line.');
    }
    if (debits !== credits) throw validationFault(unbalancedCode, 'Amount on debits not equal to credits', 'Journal Entry must have equal debits and credits.');
    const docNumber = body.DocNumber;
    if (docNumber !== undefined) {
      if (String(docNumber).length > DOC_NUMBER_MAX_CHARS) {
        throw validationFault('2050', 'String length is either shorter or longer than supported by specification', `DocNumber is longer than ${DOC_NUMBER_MAX_CHARS}`, 'DocNumber');
      }
      if (!opts.allowDupDoc && !realm.allowDuplicateDocNum) {
        for (const je of table(realm, 'JournalEntry').values()) {
          if (je.data.DocNumber === docNumber && je.data.Id !== opts.selfId) {
            throw validationFault('6140', 'Duplicate Document Number Error', `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${docNumber} is assigned to TxnType=Journal Entry with TxnId=${je.data.Id}`);
          }
        }
      }
    }
    const txnDate = body.TxnDate ?? companyDate(clock.now_ms());
    if (!/^\d{4}-\d\d-\d\d$/.test(txnDate)) throw validationFault('2070', 'Invalid Date', `Invalid date ${txnDate}`, 'TxnDate');
    if (realm.bookCloseDate && txnDate <= realm.bookCloseDate) throw closedFault(realm);
    if (body.PrivateNote !== undefined && String(body.PrivateNote).length > 4000) {
      throw validationFault('2050', 'String length is either shorter or longer than supported by specification', 'PrivateNote is too long', 'PrivateNote');
    }
    const je: Json = {
      Adjustment: body.Adjustment ?? false,
      TotalAmt: Number(formatUnits(debits, exp)),
      domain: 'QBO',
      sparse: false,
      DocNumber: docNumber,
      TxnDate: txnDate,
      CurrencyRef: { value: currency, name: currency },
      ExchangeRate: realm.multicurrency ? exchangeRate : undefined,
      PrivateNote: body.PrivateNote,
      Line: outLines,
      TxnTaxDetail: {},
    };
    for (const k of Object.keys(je)) if (je[k] === undefined) delete je[k];
    return je;
  };

  const closedFault = (realm: Realm): Fault =>
    realm.closingPassword
      ? validationFault('6210', 'Account Period Closed', 'The account period has closed and requires a password. {1}')
      : validationFault('6200', 'Account Period Closed', 'The account period has closed. {1}');

  const createJournalEntry = (realm: Realm, body: Json, allowDupDoc: boolean): Json => {
    if (body.Id !== undefined) throw validationFault('610', 'Object Not Found', 'Object Not Found : Another user has deleted this transaction.');
    const je = normalizeJournalEntry(realm, body, { allowDupDoc });
    const now = clock.now_ms();
    je.Id = String(realm.nextId++);
    je.SyncToken = '0';
    je.MetaData = meta(now, now);
    table(realm, 'JournalEntry').set(je.Id, { data: clone(je), updated_ms: now });
    return je;
  };

  const liveJournalEntry = (realm: Realm, id: string): StoredObject => {
    const cur = table(realm, 'JournalEntry').get(String(id));
    if (!cur) throw validationFault('610', 'Object Not Found', 'Object Not Found : Another user has deleted this transaction.');
    return cur;
  };

  const updateJournalEntry = (realm: Realm, body: Json, allowDupDoc: boolean, skipSyncCheck = false): Json => {
    const cur = liveJournalEntry(realm, body.Id);
    if (!skipSyncCheck && String(body.SyncToken) !== cur.data.SyncToken) {
      throw validationFault('5010', 'Stale Object Error', 'Stale Object Error : You and another user were working on this at the same time. The other user finished before you did, so your work was not saved.');
    }
    if (realm.bookCloseDate && cur.data.TxnDate <= realm.bookCloseDate) throw closedFault(realm);
    const sparse = body.sparse !== false;
    const merged = sparse ? { ...cur.data, ...body } : { ...body };
    const je = normalizeJournalEntry(realm, merged, { allowDupDoc, selfId: cur.data.Id });
    const now = clock.now_ms();
    je.Id = cur.data.Id;
    je.SyncToken = String(Number(cur.data.SyncToken) + 1);
    je.MetaData = { CreateTime: cur.data.MetaData.CreateTime, LastUpdatedTime: companyTime(now, false) };
    cur.data = clone(je);
    cur.updated_ms = now;
    return je;
  };

  const deleteJournalEntry = (realm: Realm, body: Json, skipSyncCheck = false): Json => {
    const cur = liveJournalEntry(realm, body.Id);
    if (!skipSyncCheck && String(body.SyncToken) !== cur.data.SyncToken) {
      throw validationFault('5010', 'Stale Object Error', 'Stale Object Error : You and another user were working on this at the same time.');
    }
    if (realm.bookCloseDate && cur.data.TxnDate <= realm.bookCloseDate) throw closedFault(realm);
    table(realm, 'JournalEntry').delete(cur.data.Id);
    tombs(realm, 'JournalEntry').set(cur.data.Id, { id: cur.data.Id, deleted_ms: clock.now_ms() });
    return { Id: cur.data.Id, status: 'Deleted', domain: 'QBO' };
  };

  // --- Preferences, company info -----------------------------------------------------------------

  const preferences = (realm: Realm): Json => {
    const acctPrefs: Json = { TrackDepartments: false, ClassTrackingPerTxn: false, CustomerTerminology: 'Customers' };
    if (realm.bookCloseDate) acctPrefs.BookCloseDate = realm.bookCloseDate;
    return {
      AccountingInfoPrefs: acctPrefs,
      CurrencyPrefs: { MultiCurrencyEnabled: realm.multicurrency, HomeCurrency: { value: realm.homeCurrency } },
      domain: 'QBO',
      sparse: false,
      Id: '1',
      SyncToken: '0',
      MetaData: meta(realm.prefsUpdated_ms, realm.prefsUpdated_ms),
    };
  };

  const companyInfo = (realm: Realm): Json => ({
    CompanyName: realm.companyName,
    LegalName: realm.companyName,
    Country: 'US',
    domain: 'QBO',
    sparse: false,
    Id: '1',
    SyncToken: '0',
  });

  // --- Query, CDC, batch -------------------------------------------------------------------------

  const query = (realm: Realm, text: string): Json => {
    let q;
    try {
      q = parseQuery(text);
    } catch (e) {
      if (e instanceof QueryError) throw new Fault(400, { Fault: { Error: [{ Message: 'Error parsing query', Detail: e.message, code: e.code, element: '' }], type: 'ValidationFault' } });
      throw e;
    }
    const entity = ENTITY_NAMES[q.entity.toLowerCase()];
    if (!entity) throw new Fault(400, { Fault: { Error: [{ Message: 'Error parsing query', Detail: `QueryParserError: Invalid entity ${q.entity}`, code: '4000', element: '' }], type: 'ValidationFault' } });
    let rows: Json[];
    if (entity === 'Preferences') rows = [preferences(realm)];
    else if (entity === 'CompanyInfo') rows = [companyInfo(realm)];
    else rows = [...table(realm, entity).values()].map((s) => s.data);
    // Lists answer only active names unless the query asks about Active (a QuickBooks quirk).
    if ((entity === 'Account' || entity === 'Customer') && !q.where.some((c) => c.field.toLowerCase() === 'active')) {
      rows = rows.filter((r) => r.Active !== false);
    }
    rows.sort((a, b) => Number(a.Id) - Number(b.Id));
    const { page, total } = runQuery(rows, q);
    if (q.count) return { QueryResponse: { totalCount: total }, time: nowTime() };
    if (page.length === 0) return { QueryResponse: {}, time: nowTime() };
    return { QueryResponse: { [entity]: clone(page), startPosition: q.startPosition, maxResults: page.length }, time: nowTime() };
  };

  const cdc = (realm: Realm, entitiesParam: string, since: string): Json => {
    const since_ms = Date.parse(since);
    if (!since || Number.isNaN(since_ms)) throw validationFault('4001', 'Invalid query', `changedSince is not a valid date: ${since}`);
    if (clock.now_ms() - since_ms > CDC_MAX_LOOKBACK_MS) throw validationFault('4001', 'Invalid query', 'changedSince must be within the last 30 days');
    const names = entitiesParam.split(',').map((e) => e.trim()).filter(Boolean);
    let budget = CDC_MAX_OBJECTS;
    const responses: Json[] = [];
    for (const n of names) {
      const entity = ENTITY_NAMES[n.toLowerCase()];
      if (!entity) throw validationFault('4001', 'Invalid query', `Unsupported entity ${n}`);
      const changed: { ms: number; obj: Json }[] = [];
      for (const s of table(realm, entity).values()) if (s.updated_ms > since_ms) changed.push({ ms: s.updated_ms, obj: clone(s.data) });
      for (const t of tombs(realm, entity).values()) {
        if (t.deleted_ms > since_ms) changed.push({ ms: t.deleted_ms, obj: { Id: t.id, status: 'Deleted', domain: 'QBO', MetaData: { LastUpdatedTime: companyTime(t.deleted_ms, false) } } });
      }
      changed.sort((a, b) => a.ms - b.ms);
      const take = changed.slice(0, budget);
      budget -= take.length;
      responses.push(take.length > 0 ? { [entity]: take.map((c) => c.obj), startPosition: 1, maxResults: take.length } : {});
    }
    return { CDCResponse: [{ QueryResponse: responses }], time: nowTime() };
  };

  const batch = (realm: Realm, body: Json): Json => {
    const items = body?.BatchItemRequest;
    if (!Array.isArray(items)) throw validationFault('2020', 'Required param missing', 'BatchItemRequest is missing', 'BatchItemRequest');
    if (items.length > BATCH_MAX_ITEMS) throw validationFault('1040', 'Batch size exceeds allowed limit', `Batch size ${items.length} exceeds ${BATCH_MAX_ITEMS}`);
    const out: Json[] = [];
    for (const item of items) {
      try {
        if (item.Query) {
          out.push({ bId: item.bId, ...query(realm, item.Query) });
          continue;
        }
        const op = item.operation ?? 'create';
        if (item.JournalEntry) {
          const r = op === 'create' ? createJournalEntry(realm, item.JournalEntry, false) : op === 'update' ? updateJournalEntry(realm, item.JournalEntry, false) : deleteJournalEntry(realm, item.JournalEntry);
          out.push({ bId: item.bId, JournalEntry: r });
        } else if (item.Account) {
          out.push({ bId: item.bId, Account: op === 'create' ? createAccount(realm, item.Account) : updateAccount(realm, item.Account) });
        } else if (item.Customer) {
          out.push({ bId: item.bId, Customer: createCustomer(realm, item.Customer) });
        } else throw validationFault('500', 'Unsupported Operation', 'Unsupported batch item');
      } catch (e) {
        if (!(e instanceof Fault)) throw e;
        out.push({ bId: item.bId, Fault: e.body.Fault });
      }
    }
    return { BatchItemResponse: out, time: nowTime() };
  };

  // --- HTTP plumbing -----------------------------------------------------------------------------

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const send = (res: ServerResponse, status: number, body: Json, contentType = 'application/json;charset=UTF-8'): void => {
    if (res.destroyed || res.writableEnded) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': contentType, intuit_tid: randomUUID() });
    res.end(text);
  };

  const takeFault = (realmId: string, method: string, entity: string, operation: string): FaultSpec | undefined => {
    const list = faults.get(realmId);
    if (!list) return undefined;
    const idx = list.findIndex((f) => {
      const m = f.match ?? {};
      return (!m.method || m.method === method) && (!m.entity || m.entity === entity) && (!m.operation || m.operation === operation);
    });
    if (idx < 0) return undefined;
    const f = list[idx]!;
    const left = (f.times ?? 1) - 1;
    if (left <= 0) list.splice(idx, 1);
    else list[idx] = { ...f, times: left };
    return f;
  };

  const parseForm = (text: string, contentType: string | undefined): Record<string, string> => {
    if (contentType?.includes('application/json')) {
      try {
        const o = JSON.parse(text) as Record<string, unknown>;
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
      } catch {
        return {};
      }
    }
    return Object.fromEntries(new URLSearchParams(text));
  };

  const basicClient = (req: IncomingMessage): string | undefined => {
    const h = req.headers.authorization;
    if (!h?.startsWith('Basic ')) return undefined;
    const [id, secret] = Buffer.from(h.slice(6), 'base64').toString('utf8').split(':');
    const app = id ? apps.get(id) : undefined;
    return app && app.secret === secret ? id : undefined;
  };

  const issueTokens = (grant: Grant, includeHard: boolean): Json => {
    const now = clock.now_ms();
    const access = `fakeat_${randomBytes(18).toString('base64url')}`;
    accessTokens.set(access, { grantId: grant.id, realmId: grant.realmId, expires_ms: now + accessTtl * 1000 });
    const rec = refreshTokens.get(grant.currentRefresh)!;
    rec.validUntil_ms = Math.min(now + REFRESH_TOKEN_TTL_S * 1000, grant.hardExpires_ms);
    const body: Json = {
      token_type: 'bearer',
      access_token: access,
      expires_in: accessTtl,
      refresh_token: grant.currentRefresh,
      x_refresh_token_expires_in: Math.floor((rec.validUntil_ms - now) / 1000),
    };
    if (includeHard) body.x_refresh_token_hard_expires_in = Math.floor((grant.hardExpires_ms - now) / 1000);
    return body;
  };

  const newRefresh = (grantId: string): string => {
    const value = `fakert_${randomBytes(18).toString('base64url')}`;
    refreshTokens.set(value, { grantId, validUntil_ms: clock.now_ms() + REFRESH_TOKEN_TTL_S * 1000 });
    return value;
  };

  const revokeGrant = (grantId: string): void => {
    const g = grants.get(grantId);
    if (g) g.revoked = true;
    for (const [k, v] of accessTokens) if (v.grantId === grantId) accessTokens.delete(k);
  };

  const handleOAuth = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (req.method === 'GET' && url.pathname === '/connect/oauth2') {
      const clientId = url.searchParams.get('client_id') ?? '';
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      const state = url.searchParams.get('state') ?? '';
      const app = apps.get(clientId);
      if (!app || !app.redirectUris.includes(redirectUri)) {
        send(res, 400, 'invalid client_id or redirect_uri', 'text/plain');
        return true;
      }
      const target = new URL(redirectUri);
      if (authorizeOutcome.deny) {
        target.searchParams.set('error', 'access_denied');
        target.searchParams.set('state', state);
      } else {
        const realmId = authorizeOutcome.realmId ?? [...realms.keys()][0];
        if (!realmId) {
          send(res, 500, 'no realm seeded', 'text/plain');
          return true;
        }
        const code = `fakecode_${randomBytes(24).toString('base64url')}`;
        codes.set(code, { clientId, redirectUri, realmId, expires_ms: clock.now_ms() + AUTH_CODE_TTL_MS, used: false });
        target.searchParams.set('code', code);
        target.searchParams.set('state', state);
        target.searchParams.set('realmId', realmId);
      }
      res.writeHead(302, { location: target.toString() });
      res.end();
      return true;
    }
    if (req.method === 'POST' && url.pathname === '/oauth2/v1/tokens/bearer') {
      oauthCounters.tokenCalls++;
      const form = parseForm(await readBody(req), req.headers['content-type']);
      const clientId = basicClient(req);
      if (!clientId) {
        send(res, 401, { error: 'invalid_client' });
        return true;
      }
      const invalid = (description: string): true => {
        oauthCounters.invalidGrants++;
        send(res, 400, { error: 'invalid_grant', error_description: description });
        return true;
      };
      const includeHard = req.headers['x-include-refresh-token-hard-expires-in'] === 'true';
      if (form['grant_type'] === 'authorization_code') {
        const c = codes.get(form['code'] ?? '');
        if (!c || c.clientId !== clientId) return invalid('Token invalid');
        if (c.used) {
          // A second exchange of the same code invalidates the tokens of the first (qbo.md §1.2).
          if (c.grantId) revokeGrant(c.grantId);
          return invalid('Token invalid');
        }
        if (c.expires_ms < clock.now_ms()) return invalid('Token expired');
        if (c.redirectUri !== form['redirect_uri']) return invalid('Redirect URI mismatch');
        c.used = true;
        const grantId = randomUUID();
        const grant: Grant = {
          id: grantId, clientId, realmId: c.realmId, revoked: false,
          hardExpires_ms: clock.now_ms() + REFRESH_HARD_TTL_S * 1000, currentRefresh: '', currentRefreshIssued_ms: clock.now_ms(),
        };
        grant.currentRefresh = newRefresh(grantId);
        grants.set(grantId, grant);
        c.grantId = grantId;
        send(res, 200, issueTokens(grant, includeHard));
        return true;
      }
      if (form['grant_type'] === 'refresh_token') {
        oauthCounters.refreshCalls++;
        const presented = form['refresh_token'] ?? '';
        const rec = refreshTokens.get(presented);
        const now = clock.now_ms();
        if (!rec) return invalid('Token invalid');
        const grant = grants.get(rec.grantId);
        if (!grant || grant.revoked || grant.clientId !== clientId) return invalid('Token has been expired or revoked.');
        if (rec.validUntil_ms < now || (rec.diesAt_ms !== undefined && rec.diesAt_ms <= now)) return invalid('Token has been expired or revoked.');
        if (now - grant.currentRefreshIssued_ms >= rotateAfter) {
          const old = refreshTokens.get(grant.currentRefresh);
          if (old) old.diesAt_ms = now + grace;
          grant.currentRefresh = newRefresh(grant.id);
          grant.currentRefreshIssued_ms = now;
        }
        send(res, 200, issueTokens(grant, includeHard));
        return true;
      }
      send(res, 400, { error: 'unsupported_grant_type' });
      return true;
    }
    if (req.method === 'POST' && url.pathname === '/v2/oauth2/tokens/revoke') {
      oauthCounters.revokeCalls++;
      const form = parseForm(await readBody(req), req.headers['content-type']);
      if (!basicClient(req)) {
        send(res, 401, { error: 'invalid_client' });
        return true;
      }
      const token = form['token'] ?? '';
      const grantId = refreshTokens.get(token)?.grantId ?? accessTokens.get(token)?.grantId;
      if (grantId) revokeGrant(grantId);
      res.writeHead(200, { intuit_tid: randomUUID() });
      res.end();
      return true;
    }
    return false;
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const m = /^\/v3\/company\/([^/]+)\/([^/]+)(?:\/([^/]+))?\/?$/.exec(url.pathname);
    if (!m) {
      send(res, 404, { Fault: { Error: [{ Message: 'Not found', Detail: `No route ${url.pathname}`, code: '404', element: '' }], type: 'SystemFault' } });
      return;
    }
    const realmId = decodeURIComponent(m[1]!);
    const entitySeg = m[2]!.toLowerCase();
    const idSeg = m[3];
    const method = req.method === 'POST' ? 'POST' : 'GET';
    const opParam = url.searchParams.get('operation');
    const operation =
      entitySeg === 'query' || entitySeg === 'cdc' || entitySeg === 'batch'
        ? 'query'
        : method === 'GET'
          ? 'read'
          : opParam === 'update' ? 'update' : opParam === 'delete' ? 'delete' : 'create';
    const realm = realms.get(realmId);

    // Count first: every request that reaches QuickBooks counts against its limits, throttled or not.
    if (realm) {
      const st = realm.stats;
      const now = clock.now_ms();
      st.requests++;
      st.byOperation[`${entitySeg}.${operation}`] = (st.byOperation[`${entitySeg}.${operation}`] ?? 0) + 1;
      const mv = url.searchParams.get('minorversion') ?? 'none';
      st.minorVersions[mv] = (st.minorVersions[mv] ?? 0) + 1;
      st.inFlight++;
      st.peakInFlight = Math.max(st.peakInFlight, st.inFlight);
      realm.window.push(now);
      while (realm.window.length > 0 && realm.window[0]! <= now - 60_000) realm.window.shift();
      st.peakPerMinute = Math.max(st.peakPerMinute, realm.window.length);
      res.on('close', () => {
        st.inFlight--;
      });
    }

    // Authentication at the gateway: lowercase bodies, epoch-ms time.
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? accessTokens.get(auth.slice(7)) : undefined;
    if (!token || token.expires_ms <= clock.now_ms() || (token.grantId && grants.get(token.grantId)?.revoked)) {
      send(res, 401, { ...gatewayFault(401, '3200', 'AuthenticationFailed', 'Token expired or invalid', 'AUTHENTICATION'), time: clock.now_ms() });
      return;
    }
    if (!realm || token.realmId !== realmId) {
      send(res, 403, { ...gatewayFault(403, '3100', 'ApplicationAuthorizationFailed', 'Token not valid for this company', 'SERVICE'), time: clock.now_ms() });
      return;
    }

    const throttled = (): void => {
      realm.stats.throttled++;
      if (throttle.xmlBody) {
        send(res, 429, '<?xml version="1.0"?><IntuitResponse><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.  Try again later</Detail></Error></Fault></IntuitResponse>', 'application/xml');
      } else {
        send(res, 429, { ...gatewayFault(429, '3001', 'ThrottleExceeded', 'The request limit was reached.  Try again later', 'SERVICE'), time: clock.now_ms() });
      }
    };
    if (throttle.enabled && (realm.stats.inFlight > throttle.concurrent || realm.window.length > throttle.perMinute)) {
      throttled();
      return;
    }

    const bodyText = method === 'POST' ? await readBody(req) : '';
    if (latency_ms > 0) await new Promise((r) => setTimeout(r, latency_ms));

    const injected = takeFault(realmId, method, entitySeg, operation);
    if (injected?.kind === 'status') {
      realm.stats.injected5xx++;
      send(res, injected.status, { Fault: { Error: [{ Message: 'An application error has occurred while processing your request', Detail: 'System Failure Error: injected', code: '10000', element: '' }], type: 'SystemFault' }, time: nowTime() });
      return;
    }
    if (injected?.kind === 'throttle') {
      throttled();
      return;
    }
    const hangUp = (ms: number): void => {
      realm.stats.timeouts++;
      const t = setTimeout(() => {
        timers.delete(t);
        res.socket?.destroy();
      }, ms);
      timers.add(t);
    };
    if (injected?.kind === 'timeout' && !injected.commit) {
      hangUp(injected.hang_ms);
      return;
    }

    const isWrite = method === 'POST' && operation !== 'query';
    const requestId = url.searchParams.get('requestid');
    if (isWrite && requestId !== null) {
      if (requestId.length > REQUEST_ID_MAX_CHARS) {
        send(res, 400, { ...validationFault('6000', 'A business validation error has occurred while processing your request', 'You cannot enter more than 50 characters in the request_id field').body, time: nowTime() });
        return;
      }
      const prior = options.ignoreRequestIds ? undefined : realm.requestIds.get(requestId);
      if (prior) {
        realm.stats.replays++;
        send(res, prior.status, prior.body);
        return;
      }
    }

    let status = 200;
    let out: Json;
    try {
      let body: Json = undefined;
      if (method === 'POST' && entitySeg !== 'query') {
        try {
          body = bodyText ? JSON.parse(bodyText) : {};
        } catch {
          throw validationFault('2010', 'Request has invalid or unsupported property', 'Body is not JSON');
        }
      }
      const allowDup = url.searchParams.get('include') === 'allowduplicatedocnum';
      out = route(realm, method, entitySeg, idSeg, opParam, body, bodyText, url, allowDup);
    } catch (e) {
      if (!(e instanceof Fault)) throw e;
      status = e.status;
      out = { ...e.body, time: nowTime() };
    }
    if (isWrite && requestId !== null && !options.ignoreRequestIds) realm.requestIds.set(requestId, { status, body: out });

    const dropRate = dropRates.get(realmId) ?? 0;
    const drop = injected?.kind === 'drop_after_commit' || (isWrite && status === 200 && dropRate > 0 && rng() < dropRate);
    if (drop) {
      // The write is committed; the client never hears about it.
      realm.stats.dropped++;
      res.socket?.destroy();
      return;
    }
    if (injected?.kind === 'timeout' && injected.commit) {
      hangUp(injected.hang_ms);
      return;
    }
    send(res, status, out);
  };

  const route = (realm: Realm, method: string, entitySeg: string, idSeg: string | undefined, op: string | null, body: Json, bodyText: string, url: URL, allowDup: boolean): Json => {
    const entity = ENTITY_NAMES[entitySeg];
    const wrap = (name: string, obj: Json): Json => ({ [name]: obj, time: nowTime() });
    if (entitySeg === 'query') {
      const text = method === 'GET' ? (url.searchParams.get('query') ?? '') : bodyText;
      return query(realm, text);
    }
    if (entitySeg === 'cdc') return cdc(realm, url.searchParams.get('entities') ?? '', url.searchParams.get('changedSince') ?? '');
    if (entitySeg === 'batch' && method === 'POST') return batch(realm, body);
    if (entity === 'Preferences' && method === 'GET') return wrap('Preferences', preferences(realm));
    if (entity === 'CompanyInfo' && method === 'GET') return wrap('CompanyInfo', companyInfo(realm));
    if (entity === 'JournalEntry') {
      if (method === 'GET') {
        if (!idSeg) throw validationFault('2020', 'Required param missing', 'Id is required');
        return wrap('JournalEntry', clone(liveJournalEntry(realm, idSeg).data));
      }
      if (op === 'update') return wrap('JournalEntry', updateJournalEntry(realm, body, allowDup));
      if (op === 'delete') return wrap('JournalEntry', deleteJournalEntry(realm, body));
      if (op === 'void') throw validationFault('500', 'Unsupported Operation', 'Operation Void is not supported for JournalEntry');
      return wrap('JournalEntry', createJournalEntry(realm, body, allowDup));
    }
    if (entity === 'Account') {
      if (method === 'GET') {
        const a = idSeg ? table(realm, 'Account').get(idSeg) : undefined;
        if (!a) throw validationFault('610', 'Object Not Found', 'Object Not Found : Something you\'re trying to use has been made inactive.');
        return wrap('Account', clone(a.data));
      }
      if (op === 'update') return wrap('Account', updateAccount(realm, body));
      if (op === 'delete') throw validationFault('500', 'Unsupported Operation', 'Operation Delete is not supported for Account; make it inactive');
      return wrap('Account', createAccount(realm, body));
    }
    if (entity === 'Customer') {
      if (method === 'GET') {
        const c = idSeg ? table(realm, 'Customer').get(idSeg) : undefined;
        if (!c) throw validationFault('610', 'Object Not Found', 'Object Not Found');
        return wrap('Customer', clone(c.data));
      }
      if (op) throw validationFault('500', 'Unsupported Operation', `Operation ${op} is not supported by this fake for Customer`);
      return wrap('Customer', createCustomer(realm, body));
    }
    throw new Fault(400, { Fault: { Error: [{ Message: 'Unsupported Operation', Detail: `Unsupported entity ${entitySeg}`, code: '500', element: '' }], type: 'ValidationFault' } });
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    (async () => {
      if (await handleOAuth(req, res, url)) return;
      await handleApi(req, res, url);
    })().catch((e: unknown) => {
      send(res, 500, { Fault: { Error: [{ Message: 'fake QBO internal error', Detail: String(e), code: '10000', element: '' }], type: 'SystemFault' } });
    });
  });
  // Keep-alive sockets would hold close() open; QuickBooks clients here make short requests.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${addr.port}`;

  const fake: FakeQbo = {
    url,
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    registerApp(app) {
      apps.set(app.clientId, { secret: app.clientSecret, redirectUris: app.redirectUris });
    },
    createRealm(opts = {}) {
      // Real realm ids are 16-19 digit strings; build one as text (too large for an exact JS number).
      const id = opts.realmId ?? `9130${String(realms.size + 1).padStart(6, '0')}${String(Math.floor(rng() * 1e6)).padStart(6, '0')}`;
      if (realms.has(id)) throw new Error(`fake QBO: realm ${id} exists`);
      const realm: Realm = {
        id,
        companyName: opts.companyName ?? `Company ${id}`,
        homeCurrency: (opts.homeCurrency ?? 'USD').toUpperCase(),
        multicurrency: opts.multicurrency ?? false,
        closingPassword: false,
        allowDuplicateDocNum: false,
        nextId: 1,
        entities: new Map(),
        tombstones: new Map(),
        requestIds: new Map(),
        window: [],
        stats: newStats(),
        prefsUpdated_ms: clock.now_ms(),
      };
      realms.set(id, realm);
      for (const a of opts.accounts ?? DEFAULT_CHART) createAccount(realm, a);
      return id;
    },
    seedAccounts(realmId, accounts) {
      const realm = realmOf(realmId);
      return accounts.map((a) => createAccount(realm, a).Id as string);
    },
    issueAccessToken(realmId, clientId) {
      realmOf(realmId);
      const access = `fakeat_${randomBytes(18).toString('base64url')}`;
      // Not tied to a grant, so revoking grants never touches it; `clientId` is informational.
      void clientId;
      accessTokens.set(access, { realmId, expires_ms: clock.now_ms() + accessTtl * 1000 });
      return access;
    },
    expireAccessTokens(realmId) {
      for (const v of accessTokens.values()) if (!realmId || v.realmId === realmId) v.expires_ms = 0;
    },
    setAuthorizeOutcome(o) {
      authorizeOutcome = o;
    },
    setBookCloseDate(realmId, date, opts) {
      const realm = realmOf(realmId);
      realm.bookCloseDate = date;
      realm.closingPassword = opts?.password ?? false;
      realm.prefsUpdated_ms = clock.now_ms();
    },
    setAllowDuplicateDocNum(realmId, allow) {
      realmOf(realmId).allowDuplicateDocNum = allow;
    },
    setAccountActive(realmId, accountId, active) {
      const realm = realmOf(realmId);
      const a = table(realm, 'Account').get(accountId);
      if (!a) throw new Error(`fake QBO: no account ${accountId}`);
      updateAccount(realm, { Id: accountId, SyncToken: a.data.SyncToken, Active: active, sparse: true });
      queueEvent({ realmId, entity: 'Account', id: accountId, operation: 'updated' });
    },
    editJournalEntry(realmId, id, edit) {
      const realm = realmOf(realmId);
      const cur = liveJournalEntry(realm, id);
      const draft = clone(cur.data);
      edit(draft);
      const updated = updateJournalEntry(realm, { ...draft, sparse: false }, true, true);
      queueEvent({ realmId, entity: 'JournalEntry', id, operation: 'updated' });
      return updated;
    },
    deleteJournalEntry(realmId, id) {
      const realm = realmOf(realmId);
      deleteJournalEntry(realm, { Id: id }, true);
      queueEvent({ realmId, entity: 'JournalEntry', id, operation: 'deleted' });
    },
    setWebhookTarget(target) {
      webhookTarget = target;
    },
    async flushWebhooks() {
      if (!webhookTarget || webhookQueue.length === 0) return [];
      const events = webhookQueue;
      webhookQueue = [];
      const payload = webhookTarget.format === 'legacy' ? legacyNotification(events) : cloudEvents(events);
      const signed = signWebhook(payload, webhookTarget.verifierToken);
      const res = await fetch(webhookTarget.url, { method: 'POST', headers: signed.headers, body: signed.body });
      return [res.status];
    },
    pendingWebhookEvents() {
      return [...webhookQueue];
    },
    journalEntries(realmId) {
      return [...table(realmOf(realmId), 'JournalEntry').values()].map((s) => clone(s.data));
    },
    accounts(realmId, opts) {
      return [...table(realmOf(realmId), 'Account').values()].map((s) => clone(s.data)).filter((a) => opts?.includeInactive || a.Active !== false);
    },
    customers(realmId) {
      return [...table(realmOf(realmId), 'Customer').values()].map((s) => clone(s.data));
    },
    accountTotals(realmId, opts) {
      const realm = realmOf(realmId);
      const totals = new Map<string, bigint>();
      for (const s of table(realm, 'JournalEntry').values()) {
        const je = s.data;
        if (opts?.month && !String(je.TxnDate).startsWith(opts.month)) continue;
        const exp = exponentOf(je.CurrencyRef?.value ?? realm.homeCurrency);
        for (const line of je.Line as Json[]) {
          const d = line.JournalEntryLineDetail;
          if (!d) continue;
          const units = toUnits(line.Amount, exp) ?? 0n;
          const signed = d.PostingType === 'Debit' ? units : -units;
          totals.set(d.AccountRef.value, (totals.get(d.AccountRef.value) ?? 0n) + signed);
        }
      }
      return totals;
    },
    stats(realmId) {
      return clone(realmOf(realmId).stats);
    },
    resetStats(realmId) {
      const realm = realmOf(realmId);
      const inFlight = realm.stats.inFlight;
      realm.stats = { ...newStats(), inFlight };
      realm.window = [];
    },
    injectFault(realmId, fault) {
      realmOf(realmId);
      const list = faults.get(realmId) ?? [];
      list.push(fault);
      faults.set(realmId, list);
    },
    setDropRate(realmId, rate) {
      dropRates.set(realmId, rate);
    },
    setThrottle(opts) {
      Object.assign(throttle, Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)));
    },
    setLatency(ms) {
      latency_ms = ms;
    },
    oauthStats() {
      return { ...oauthCounters };
    },
  };
  return fake;
}

function formatUnits(units: bigint, exponent: number): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  if (exponent === 0) return `${neg ? '-' : ''}${abs}`;
  const s = abs.toString().padStart(exponent + 1, '0');
  return `${neg ? '-' : ''}${s.slice(0, -exponent)}.${s.slice(-exponent)}`;
}

// ---------------------------------------------------------------------------------------------
// Webhooks (qbo.md §8.1): what Intuit would POST to us.

export interface WebhookChange {
  realmId: string;
  entity: string;
  id: string;
  operation: 'created' | 'updated' | 'deleted' | 'merged' | 'voided';
  time?: string;
}

/** Builds a CloudEvents array as Intuit sends it. */
export function cloudEvents(changes: WebhookChange[]): Json[] {
  return changes.map((c) => ({
    specversion: '1.0',
    id: randomUUID(),
    source: 'intuit.accounting',
    type: `qbo.${c.entity.toLowerCase()}.${c.operation}.v1`,
    datacontenttype: 'application/json',
    time: c.time ?? new Date().toISOString(),
    intuitentityid: c.id,
    intuitaccountid: c.realmId,
    data: {},
  }));
}

/** Builds the legacy `eventNotifications` payload. */
export function legacyNotification(changes: WebhookChange[]): Json {
  const byRealm = new Map<string, WebhookChange[]>();
  for (const c of changes) byRealm.set(c.realmId, [...(byRealm.get(c.realmId) ?? []), c]);
  const opName: Record<string, string> = { created: 'Create', updated: 'Update', deleted: 'Delete', merged: 'Merge', voided: 'Void' };
  return {
    eventNotifications: [...byRealm].map(([realmId, cs]) => ({
      realmId,
      dataChangeEvent: { entities: cs.map((c) => ({ name: c.entity, id: c.id, operation: opName[c.operation], lastUpdated: c.time ?? new Date().toISOString() })) },
    })),
  };
}

/** Serializes a payload and signs the exact bytes: `intuit-signature` = base64 HMAC-SHA256(verifier token). */
export function signWebhook(payload: Json, verifierToken: string): { body: string; signature: string; headers: Record<string, string> } {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = createHmac('sha256', verifierToken).update(body, 'utf8').digest('base64');
  return { body, signature, headers: { 'content-type': 'application/json', 'intuit-signature': signature } };
}
