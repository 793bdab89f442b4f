/**
 * What a test (or the demo) can do to the fake company from outside the API: act as an
 * accountant would (edit or delete an entry, deactivate an account, close the books), each change
 * queued as a webhook event, and inspect the books and the traffic.
 */
import { createAccount, updateAccount } from './accounts.ts';
import { clone, exponentOf, toUnits } from './format.ts';
import { deleteJournalEntry, liveJournalEntry, updateJournalEntry } from './journal-entries.ts';
import { newStats, table } from './realm.ts';
import type { RealmRegistry } from './registry.ts';
import type { FakeQbo, Json } from './types.ts';
import type { WebhookOutbox } from './webhooks.ts';

type AccountantControls = Pick<
  FakeQbo,
  | 'seedAccounts'
  | 'setBookCloseDate'
  | 'setAllowDuplicateDocNum'
  | 'setAccountActive'
  | 'editJournalEntry'
  | 'deleteJournalEntry'
>;

export function accountantControls(realms: RealmRegistry, outbox: WebhookOutbox): AccountantControls {
  return {
    seedAccounts(realmId, accounts) {
      const realm = realms.get(realmId);
      return accounts.map((a) => createAccount(realm, a).Id as string);
    },
    setBookCloseDate(realmId, date, opts) {
      const realm = realms.get(realmId);
      realm.bookCloseDate = date;
      realm.closingPassword = opts?.password ?? false;
      realm.prefsUpdated_ms = realm.clock.now_ms();
    },
    setAllowDuplicateDocNum(realmId, allow) {
      realms.get(realmId).allowDuplicateDocNum = allow;
    },
    setAccountActive(realmId, accountId, active) {
      const realm = realms.get(realmId);
      const a = table(realm, 'Account').get(accountId);
      if (!a) throw new Error(`fake QBO: no account ${accountId}`);
      updateAccount(realm, { Id: accountId, SyncToken: a.data.SyncToken, Active: active, sparse: true });
      outbox.queue({ realmId, entity: 'Account', id: accountId, operation: 'updated' });
    },
    editJournalEntry(realmId, id, edit) {
      const realm = realms.get(realmId);
      const draft = clone(liveJournalEntry(realm, id).data);
      edit(draft);
      const updated = updateJournalEntry(realm, { ...draft, sparse: false }, true, true);
      outbox.queue({ realmId, entity: 'JournalEntry', id, operation: 'updated' });
      return updated;
    },
    deleteJournalEntry(realmId, id) {
      deleteJournalEntry(realms.get(realmId), { Id: id }, true);
      outbox.queue({ realmId, entity: 'JournalEntry', id, operation: 'deleted' });
    },
  };
}

type InspectionControls = Pick<
  FakeQbo,
  'journalEntries' | 'accounts' | 'customers' | 'accountTotals' | 'stats' | 'resetStats'
>;

export function inspectionControls(realms: RealmRegistry): InspectionControls {
  const rows = (realmId: string, entity: string): Json[] =>
    [...table(realms.get(realmId), entity).values()].map((s) => clone(s.data));
  return {
    journalEntries: (realmId) => rows(realmId, 'JournalEntry'),
    accounts: (realmId, opts) => rows(realmId, 'Account').filter((a) => opts?.includeInactive || a.Active !== false),
    customers: (realmId) => rows(realmId, 'Customer'),
    accountTotals(realmId, opts) {
      const realm = realms.get(realmId);
      const totals = new Map<string, bigint>();
      for (const s of table(realm, 'JournalEntry').values()) {
        const je = s.data;
        if (opts?.month && !String(je.TxnDate).startsWith(opts.month)) continue;
        const exponent = exponentOf(je.CurrencyRef?.value ?? realm.homeCurrency);
        for (const line of je.Line as Json[]) {
          const d = line.JournalEntryLineDetail;
          if (!d) continue;
          const units = toUnits(line.Amount, exponent) ?? 0n;
          const signed = d.PostingType === 'Debit' ? units : -units;
          totals.set(d.AccountRef.value, (totals.get(d.AccountRef.value) ?? 0n) + signed);
        }
      }
      return totals;
    },
    stats: (realmId) => clone(realms.get(realmId).stats),
    resetStats(realmId) {
      const realm = realms.get(realmId);
      const inFlight = realm.stats.inFlight;
      realm.stats = { ...newStats(), inFlight };
      realm.window = [];
    },
  };
}
