/**
 * Journal entries in the fake company, validated the way QuickBooks validates them
 * (docs/quickbooks.md §3 JournalEntry, §9 Closed periods and reversals): lines that balance to the
 * currency's smallest unit, active accounts, a customer on Accounts Receivable lines, currency and
 * exchange rate rules of multicurrency companies, DocNumber length and uniqueness, the books'
 * close date, SyncToken checks on update and delete, and tombstones for CDC on delete.
 */
import { DOC_NUMBER_MAX_CHARS, NOTE_MAX_CHARS } from './limits.ts';
import {
  businessRule,
  DELETED_TRANSACTION,
  type Fault,
  INACTIVE_NAME,
  missingParam,
  objectNotFound,
  staleObject,
  tooLong,
  validationFault,
} from './faults.ts';
import { clone, companyDate, companyTime, exponentOf, formatUnits, toUnits } from './format.ts';
import { meta, table, tombstones, type Realm, type StoredObject } from './realm.ts';
import type { Json } from './types.ts';

/** The refusal for a write dated on or before the books' close date (6210 when a password guards it). */
export function closedFault(realm: Realm): Fault {
  return realm.closingPassword
    ? validationFault('6210', 'Account Period Closed', 'The account period has closed and requires a password. {1}')
    : validationFault('6200', 'Account Period Closed', 'The account period has closed. {1}');
}

/** The entry's currency and exchange rate: home currency only, unless the company is multicurrency. */
function entryCurrency(realm: Realm, body: Json): { currency: string; exchangeRate: number | undefined } {
  if (realm.multicurrency) {
    if (!body.CurrencyRef?.value) throw missingParam('CurrencyRef');
    const currency = String(body.CurrencyRef.value).toUpperCase();
    if (currency === realm.homeCurrency) return { currency, exchangeRate: 1 };
    if (typeof body.ExchangeRate !== 'number' || !(body.ExchangeRate > 0)) throw missingParam('ExchangeRate');
    return { currency, exchangeRate: body.ExchangeRate };
  }
  if (body.CurrencyRef?.value && String(body.CurrencyRef.value).toUpperCase() !== realm.homeCurrency) {
    throw businessRule('Business Validation Error: Multicurrency is not enabled for this company.');
  }
  return { currency: realm.homeCurrency, exchangeRate: undefined };
}

/** The line's `Entity`, checked against its account type and resolved to a stored name. */
function lineEntity(realm: Realm, detail: Json, account: StoredObject): Json | undefined {
  if (account.data.AccountType === 'Accounts Receivable') {
    const customerId = detail.Entity?.Type === 'Customer' ? detail.Entity?.EntityRef?.value : undefined;
    if (!customerId)
      throw businessRule(
        'Business Validation Error: When you use Accounts Receivable, you must choose a customer in the Name field.',
      );
  }
  if (account.data.AccountType === 'Accounts Payable' && detail.Entity?.Type !== 'Vendor') {
    throw businessRule(
      'Business Validation Error: When you use Accounts Payable, you must choose a vendor in the Name field.',
    );
  }
  if (!detail.Entity) return undefined;
  const refId = String(detail.Entity.EntityRef?.value ?? '');
  if (detail.Entity.Type !== 'Customer') return { Type: detail.Entity.Type, EntityRef: { value: refId } };
  const customer = table(realm, 'Customer').get(refId);
  if (!customer)
    throw validationFault(
      '2500',
      'Invalid Reference Id',
      `Invalid Reference Id : Names element id ${refId} not found`,
      'Entity',
    );
  return { Type: 'Customer', EntityRef: { value: refId, name: customer.data.DisplayName } };
}

interface NormalizedLine {
  out: Json;
  /** Undefined for a description-only line. */
  posting?: { type: 'Debit' | 'Credit'; units: bigint };
}

/** Validates one line and returns its stored form, with its amount in integer units. */
function normalizeLine(realm: Realm, line: Json, index: number, exponent: number): NormalizedLine {
  if (line.DetailType === 'DescriptionOnly') {
    return {
      out: {
        Id: String(index),
        DetailType: 'DescriptionOnly',
        Description: line.Description,
        DescriptionLineDetail: {},
      },
    };
  }
  if (line.DetailType !== 'JournalEntryLineDetail' || !line.JournalEntryLineDetail)
    throw missingParam('Line.DetailType');
  const detail = line.JournalEntryLineDetail;
  if (!detail.PostingType)
    throw validationFault(
      '2260',
      'Posting type is missing',
      'Required parameter PostingType is missing in the request',
      'Line.JournalEntryLineDetail.PostingType',
    );
  if (detail.PostingType !== 'Debit' && detail.PostingType !== 'Credit')
    throw validationFault('2170', 'Invalid Enumeration', `Invalid Enumeration : ${detail.PostingType}`, 'PostingType');
  const units = toUnits(line.Amount, exponent);
  if (units === undefined)
    throw validationFault('2090', 'Invalid Number', `Invalid number for Amount: ${line.Amount}`, 'Line.Amount');
  if (units < 0n) throw validationFault('2290', 'NegativeAmount', 'Amount must be zero or greater', 'Line.Amount');
  const accountId = detail.AccountRef?.value;
  if (!accountId) throw missingParam('AccountRef');
  const account = table(realm, 'Account').get(String(accountId));
  if (!account)
    throw validationFault(
      '2500',
      'Invalid Reference Id',
      `Invalid Reference Id : Accounts element id ${accountId} not found`,
      'AccountRef',
    );
  if (account.data.Active === false) throw objectNotFound(INACTIVE_NAME);
  const outDetail: Json = {
    PostingType: detail.PostingType,
    AccountRef: { value: account.data.Id, name: account.data.Name },
  };
  const entity = lineEntity(realm, detail, account);
  if (entity) outDetail.Entity = entity;
  const out: Json = {
    Id: String(index),
    DetailType: 'JournalEntryLineDetail',
    Amount: line.Amount,
    JournalEntryLineDetail: outDetail,
  };
  if (line.Description !== undefined) {
    if (String(line.Description).length > NOTE_MAX_CHARS) throw tooLong('Description is too long', 'Line.Description');
    out.Description = line.Description;
  }
  return { out, posting: { type: detail.PostingType, units } };
}

/** Refuses a DocNumber that is too long, or (unless duplicates are allowed) used by another entry. */
function checkDocNumber(realm: Realm, docNumber: unknown, opts: { allowDupDoc: boolean; selfId?: string }): void {
  if (docNumber === undefined) return;
  if (String(docNumber).length > DOC_NUMBER_MAX_CHARS)
    throw tooLong(`DocNumber is longer than ${DOC_NUMBER_MAX_CHARS}`, 'DocNumber');
  if (opts.allowDupDoc || realm.allowDuplicateDocNum) return;
  for (const je of table(realm, 'JournalEntry').values()) {
    if (je.data.DocNumber === docNumber && je.data.Id !== opts.selfId) {
      throw validationFault(
        '6140',
        'Duplicate Document Number Error',
        `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${docNumber} is assigned to TxnType=Journal Entry with TxnId=${je.data.Id}`,
      );
    }
  }
}

/** Validates and normalizes a journal entry body the way QuickBooks would; returns the stored form. */
function normalizeJournalEntry(realm: Realm, body: Json, opts: { allowDupDoc: boolean; selfId?: string }): Json {
  const lines = body.Line;
  if (!Array.isArray(lines) || lines.length === 0) throw missingParam('Line');
  const { currency, exchangeRate } = entryCurrency(realm, body);
  const exponent = exponentOf(currency);
  const totals = { Debit: 0n, Credit: 0n };
  const counts = { Debit: 0, Credit: 0 };
  const outLines = lines.map((line: Json, i: number) => {
    const { out, posting } = normalizeLine(realm, line, i, exponent);
    if (posting) {
      totals[posting.type] += posting.units;
      counts[posting.type]++;
    }
    return out;
  });
  if (counts.Debit === 0 || counts.Credit === 0)
    throw businessRule('Business Validation Error: A journal entry needs at least one debit and one credit line.');
  if (totals.Debit !== totals.Credit)
    throw validationFault(
      realm.unbalancedCode,
      'Amount on debits not equal to credits',
      'Journal Entry must have equal debits and credits.',
    );
  const docNumber = body.DocNumber;
  checkDocNumber(realm, docNumber, opts);
  const txnDate = body.TxnDate ?? companyDate(realm.clock.now_ms());
  if (!/^\d{4}-\d\d-\d\d$/.test(txnDate))
    throw validationFault('2070', 'Invalid Date', `Invalid date ${txnDate}`, 'TxnDate');
  if (realm.bookCloseDate && txnDate <= realm.bookCloseDate) throw closedFault(realm);
  if (body.PrivateNote !== undefined && String(body.PrivateNote).length > NOTE_MAX_CHARS)
    throw tooLong('PrivateNote is too long', 'PrivateNote');
  const je: Json = {
    Adjustment: body.Adjustment ?? false,
    TotalAmt: Number(formatUnits(totals.Debit, exponent)),
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
}

export function createJournalEntry(realm: Realm, body: Json, allowDupDoc: boolean): Json {
  if (body.Id !== undefined) throw objectNotFound(DELETED_TRANSACTION);
  const je = normalizeJournalEntry(realm, body, { allowDupDoc });
  const now = realm.clock.now_ms();
  je.Id = String(realm.nextId++);
  je.SyncToken = '0';
  je.MetaData = meta(now, now);
  table(realm, 'JournalEntry').set(je.Id, { data: clone(je), updated_ms: now });
  return je;
}

/** The stored entry, or QuickBooks' "deleted" refusal. */
export function liveJournalEntry(realm: Realm, id: string): StoredObject {
  const current = table(realm, 'JournalEntry').get(String(id));
  if (!current) throw objectNotFound(DELETED_TRANSACTION);
  return current;
}

/** Updates an entry (sparse unless `sparse: false`); `skipSyncCheck` is for accountant edits. */
export function updateJournalEntry(realm: Realm, body: Json, allowDupDoc: boolean, skipSyncCheck = false): Json {
  const current = liveJournalEntry(realm, body.Id);
  if (!skipSyncCheck && String(body.SyncToken) !== current.data.SyncToken) {
    throw staleObject(
      'Stale Object Error : You and another user were working on this at the same time. The other user finished before you did, so your work was not saved.',
    );
  }
  if (realm.bookCloseDate && current.data.TxnDate <= realm.bookCloseDate) throw closedFault(realm);
  const sparse = body.sparse !== false;
  const merged = sparse ? { ...current.data, ...body } : { ...body };
  const je = normalizeJournalEntry(realm, merged, { allowDupDoc, selfId: current.data.Id });
  const now = realm.clock.now_ms();
  je.Id = current.data.Id;
  je.SyncToken = String(Number(current.data.SyncToken) + 1);
  je.MetaData = { CreateTime: current.data.MetaData.CreateTime, LastUpdatedTime: companyTime(now, false) };
  current.data = clone(je);
  current.updated_ms = now;
  return je;
}

/** Deletes an entry and leaves a tombstone for CDC; `skipSyncCheck` is for accountant deletes. */
export function deleteJournalEntry(realm: Realm, body: Json, skipSyncCheck = false): Json {
  const current = liveJournalEntry(realm, body.Id);
  if (!skipSyncCheck && String(body.SyncToken) !== current.data.SyncToken) {
    throw staleObject('Stale Object Error : You and another user were working on this at the same time.');
  }
  if (realm.bookCloseDate && current.data.TxnDate <= realm.bookCloseDate) throw closedFault(realm);
  table(realm, 'JournalEntry').delete(current.data.Id);
  tombstones(realm, 'JournalEntry').set(current.data.Id, { id: current.data.Id, deleted_ms: realm.clock.now_ms() });
  return { Id: current.data.Id, status: 'Deleted', domain: 'QBO' };
}
