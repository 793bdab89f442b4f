/**
 * The accounting API's routes once a request is authenticated and admitted: query, CDC, batch,
 * Preferences, CompanyInfo, and JournalEntry / Account / Customer reads and writes. Each answers
 * the body QuickBooks would, or throws a `Fault`.
 */
import { BATCH_MAX_ITEMS } from './limits.ts';
import { createAccount, createCustomer, updateAccount } from './accounts.ts';
import { Fault, objectNotFound, unsupportedOperation, validationFault } from './faults.ts';
import { clone } from './format.ts';
import { createJournalEntry, deleteJournalEntry, liveJournalEntry, updateJournalEntry } from './journal-entries.ts';
import { cdc, companyInfo, ENTITY_NAMES, preferences, query } from './reads.ts';
import { responseTime, table, type Realm } from './realm.ts';
import type { Json } from './types.ts';

/** One API request, as the router sees it. */
export interface ApiRequest {
  method: 'GET' | 'POST';
  /** Lower-case entity segment of the path (`journalentry`, `query`…). */
  entitySeg: string;
  idSeg: string | undefined;
  /** The `operation` query parameter (`update`, `delete`…). */
  op: string | null;
  body: Json;
  bodyText: string;
  url: URL;
  /** `include=allowduplicatedocnum`: skip the DocNumber uniqueness check. */
  allowDup: boolean;
}

/** One batch item's answer; a refused item carries its Fault instead of failing the batch. */
function batchItem(realm: Realm, item: Json): Json {
  try {
    if (item.Query) return { bId: item.bId, ...query(realm, item.Query) };
    const op = item.operation ?? 'create';
    if (item.JournalEntry) {
      const entry =
        op === 'create'
          ? createJournalEntry(realm, item.JournalEntry, false)
          : op === 'update'
            ? updateJournalEntry(realm, item.JournalEntry, false)
            : deleteJournalEntry(realm, item.JournalEntry);
      return { bId: item.bId, JournalEntry: entry };
    }
    if (item.Account)
      return {
        bId: item.bId,
        Account: op === 'create' ? createAccount(realm, item.Account) : updateAccount(realm, item.Account),
      };
    if (item.Customer) return { bId: item.bId, Customer: createCustomer(realm, item.Customer) };
    throw unsupportedOperation('Unsupported batch item');
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
    return { bId: item.bId, Fault: e.body.Fault };
  }
}

function batch(realm: Realm, body: Json): Json {
  const items = body?.BatchItemRequest;
  if (!Array.isArray(items))
    throw validationFault('2020', 'Required param missing', 'BatchItemRequest is missing', 'BatchItemRequest');
  if (items.length > BATCH_MAX_ITEMS)
    throw validationFault(
      '1040',
      'Batch size exceeds allowed limit',
      `Batch size ${items.length} exceeds ${BATCH_MAX_ITEMS}`,
    );
  return { BatchItemResponse: items.map((item) => batchItem(realm, item)), time: responseTime(realm) };
}

function journalEntryRoute(realm: Realm, request: ApiRequest): Json {
  const { method, idSeg, op, body, allowDup } = request;
  if (method === 'GET') {
    if (!idSeg) throw validationFault('2020', 'Required param missing', 'Id is required');
    return clone(liveJournalEntry(realm, idSeg).data);
  }
  if (op === 'update') return updateJournalEntry(realm, body, allowDup);
  if (op === 'delete') return deleteJournalEntry(realm, body);
  if (op === 'void') throw unsupportedOperation('Operation Void is not supported for JournalEntry');
  return createJournalEntry(realm, body, allowDup);
}

/** A copy of one stored object, or 610 with QuickBooks' wording for that entity. */
function readById(realm: Realm, entity: string, id: string | undefined, notFound: string): Json {
  const stored = id ? table(realm, entity).get(id) : undefined;
  if (!stored) throw objectNotFound(notFound);
  return clone(stored.data);
}

function accountRoute(realm: Realm, request: ApiRequest): Json {
  const { method, idSeg, op, body } = request;
  if (method === 'GET')
    return readById(
      realm,
      'Account',
      idSeg,
      "Object Not Found : Something you're trying to use has been made inactive.",
    );
  if (op === 'update') return updateAccount(realm, body);
  if (op === 'delete') throw unsupportedOperation('Operation Delete is not supported for Account; make it inactive');
  return createAccount(realm, body);
}

function customerRoute(realm: Realm, request: ApiRequest): Json {
  const { method, idSeg, op, body } = request;
  if (method === 'GET') return readById(realm, 'Customer', idSeg, 'Object Not Found');
  if (op) throw unsupportedOperation(`Operation ${op} is not supported by this fake for Customer`);
  return createCustomer(realm, body);
}

const ENTITY_ROUTES: Record<string, (realm: Realm, request: ApiRequest) => Json> = {
  JournalEntry: journalEntryRoute,
  Account: accountRoute,
  Customer: customerRoute,
};

/** Answers one admitted API request. */
export function route(realm: Realm, request: ApiRequest): Json {
  const { method, entitySeg, url } = request;
  const entity = ENTITY_NAMES[entitySeg];
  const wrap = (name: string, obj: Json): Json => ({ [name]: obj, time: responseTime(realm) });
  if (entitySeg === 'query')
    return query(realm, method === 'GET' ? (url.searchParams.get('query') ?? '') : request.bodyText);
  if (entitySeg === 'cdc')
    return cdc(realm, url.searchParams.get('entities') ?? '', url.searchParams.get('changedSince') ?? '');
  if (entitySeg === 'batch' && method === 'POST') return batch(realm, request.body);
  if (entity === 'Preferences' && method === 'GET') return wrap('Preferences', preferences(realm));
  if (entity === 'CompanyInfo' && method === 'GET') return wrap('CompanyInfo', companyInfo(realm));
  const entityRoute = entity ? ENTITY_ROUTES[entity] : undefined;
  if (entityRoute) return wrap(entity!, entityRoute(realm, request));
  throw new Fault(400, {
    Fault: {
      Error: [
        { Message: 'Unsupported Operation', Detail: `Unsupported entity ${entitySeg}`, code: '500', element: '' },
      ],
      type: 'ValidationFault',
    },
  });
}
