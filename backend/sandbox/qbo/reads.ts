/**
 * What the fake company answers to reads: Preferences and CompanyInfo, the query language
 * (docs/quickbooks.md §4 Accounts and queries), and change data capture with delete tombstones
 * (docs/quickbooks.md §8 Edits by accountants: webhooks and CDC).
 */
import { CDC_MAX_LOOKBACK_MS, CDC_MAX_OBJECTS } from './limits.ts';
import { Fault, validationFault } from './faults.ts';
import { clone, companyTime } from './format.ts';
import { parseQuery, QueryError, runQuery } from './query.ts';
import { meta, responseTime, table, tombstones, type Realm } from './realm.ts';
import type { Json } from './types.ts';

/** Lower-case URL segment or query entity → QuickBooks entity name. */
export const ENTITY_NAMES: Record<string, string> = {
  journalentry: 'JournalEntry',
  account: 'Account',
  customer: 'Customer',
  preferences: 'Preferences',
  companyinfo: 'CompanyInfo',
  vendor: 'Vendor',
};

export function preferences(realm: Realm): Json {
  const accountingPrefs: Json = {
    TrackDepartments: false,
    ClassTrackingPerTxn: false,
    CustomerTerminology: 'Customers',
  };
  if (realm.bookCloseDate) accountingPrefs.BookCloseDate = realm.bookCloseDate;
  return {
    AccountingInfoPrefs: accountingPrefs,
    CurrencyPrefs: { MultiCurrencyEnabled: realm.multicurrency, HomeCurrency: { value: realm.homeCurrency } },
    domain: 'QBO',
    sparse: false,
    Id: '1',
    SyncToken: '0',
    MetaData: meta(realm.prefsUpdated_ms, realm.prefsUpdated_ms),
  };
}

export function companyInfo(realm: Realm): Json {
  return {
    CompanyName: realm.companyName,
    LegalName: realm.companyName,
    Country: 'US',
    domain: 'QBO',
    sparse: false,
    Id: '1',
    SyncToken: '0',
  };
}

function queryParseFault(detail: string, code: string): Fault {
  return new Fault(400, {
    Fault: { Error: [{ Message: 'Error parsing query', Detail: detail, code, element: '' }], type: 'ValidationFault' },
  });
}

/** Runs one query against the realm and answers in QuickBooks' `QueryResponse` shape. */
export function query(realm: Realm, text: string): Json {
  let q;
  try {
    q = parseQuery(text);
  } catch (e) {
    if (e instanceof QueryError) throw queryParseFault(e.message, e.code);
    throw e;
  }
  const entity = ENTITY_NAMES[q.entity.toLowerCase()];
  if (!entity) throw queryParseFault(`QueryParserError: Invalid entity ${q.entity}`, '4000');
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
  if (q.count) return { QueryResponse: { totalCount: total }, time: responseTime(realm) };
  if (page.length === 0) return { QueryResponse: {}, time: responseTime(realm) };
  return {
    QueryResponse: { [entity]: clone(page), startPosition: q.startPosition, maxResults: page.length },
    time: responseTime(realm),
  };
}

/** Objects of one entity changed (or deleted) after `since_ms`, oldest first. */
function changesOf(realm: Realm, entity: string, since_ms: number): { ms: number; obj: Json }[] {
  const changed: { ms: number; obj: Json }[] = [];
  for (const s of table(realm, entity).values())
    if (s.updated_ms > since_ms) changed.push({ ms: s.updated_ms, obj: clone(s.data) });
  for (const t of tombstones(realm, entity).values()) {
    if (t.deleted_ms > since_ms) {
      changed.push({
        ms: t.deleted_ms,
        obj: {
          Id: t.id,
          status: 'Deleted',
          domain: 'QBO',
          MetaData: { LastUpdatedTime: companyTime(t.deleted_ms, false) },
        },
      });
    }
  }
  return changed.sort((a, b) => a.ms - b.ms);
}

/** Change data capture: per entity asked, what changed since `since`, at most 1000 objects in all. */
export function cdc(realm: Realm, entitiesParam: string, since: string): Json {
  const since_ms = Date.parse(since);
  if (!since || Number.isNaN(since_ms))
    throw validationFault('4001', 'Invalid query', `changedSince is not a valid date: ${since}`);
  if (realm.clock.now_ms() - since_ms > CDC_MAX_LOOKBACK_MS)
    throw validationFault('4001', 'Invalid query', 'changedSince must be within the last 30 days');
  const names = entitiesParam
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  let budget = CDC_MAX_OBJECTS;
  const responses: Json[] = [];
  for (const n of names) {
    const entity = ENTITY_NAMES[n.toLowerCase()];
    if (!entity) throw validationFault('4001', 'Invalid query', `Unsupported entity ${n}`);
    const take = changesOf(realm, entity, since_ms).slice(0, budget);
    budget -= take.length;
    responses.push(
      take.length > 0 ? { [entity]: take.map((c) => c.obj), startPosition: 1, maxResults: take.length } : {},
    );
  }
  return { CDCResponse: [{ QueryResponse: responses }], time: responseTime(realm) };
}
