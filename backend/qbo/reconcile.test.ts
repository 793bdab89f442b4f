// Proves reconciliation against the fake QuickBooks: after posting, the ledger and QuickBooks
// agree cell by cell (period × account); an accountant's edit in QuickBooks is detected (SyncToken
// and lines hash) and shows as differences carrying both numbers; a memo-only edit is flagged
// without a lines change; a delete is detected through a CDC tombstone and through a 610 read.
import { periodCalendar } from '../../shared/periods.ts';
import { generateLedger } from '../sandbox/qbo/ledger.ts';
import { startHarness, type Harness } from '../sandbox/qbo/harness.ts';
import { executePostings } from './executor.ts';
import { planPostings } from './posting.ts';
import {
  compareTotals,
  currentFromCdc,
  detectDrift,
  isAccrueDocNumber,
  nextChangedSince,
  readBackEntries,
} from './reconcile.ts';
import { InMemorySyncStore } from './sync-store.ts';

const calendar = periodCalendar({ type: 'monthly' });
const periodOf = (d: string) => calendar.periodOf(d).key;

describe('reconciliation with QuickBooks', () => {
  let h: Harness;
  const store = new InMemorySyncStore();
  const lines = generateLedger({
    tenantId: 't1',
    months: ['2026-04', '2026-05', '2026-06'],
    entriesPerMonth: 20,
    customers: 3,
  });
  let sweepStart: string;

  beforeAll(async () => {
    h = await startHarness();
    const plan = planPostings({
      tenantId: 't1',
      lines,
      accounts: h.accounts,
      realm: { homeCurrency: 'USD', multicurrency: false },
    });
    const result = await executePostings({ tenantId: 't1', realmId: h.realmId, api: h.api, entries: plan, store });
    expect(result.posted).toBe(3);
    sweepStart = new Date(Date.now() - 1000).toISOString();
  });
  afterAll(async () => h.fake.close());

  const readBack = async () => {
    const records = await store.list(h.realmId, { state: 'posted' });
    return (await h.api.findJournalEntriesByDocNumber(records.map((r) => r.docNumber))).filter((je) =>
      isAccrueDocNumber(je.DocNumber),
    );
  };

  it('finds no differences right after posting', async () => {
    const qboEntries = await readBack();
    expect(qboEntries).toHaveLength(3);
    const r = compareTotals({ ledgerLines: lines, accounts: h.accounts, qboEntries, periodOf, homeCurrency: 'USD' });
    expect(r.differences).toEqual([]);
    expect(r.cells).toBeGreaterThanOrEqual(3 * 5);
    expect(r.unmappedLines).toBe(0);
  });

  it('detects an edit made in QuickBooks and reports the differences with both numbers', async () => {
    const records = await store.list(h.realmId, { state: 'posted' });
    const may = records.find((r) => r.period === '2026-05')!;
    let debitAccount = '';
    let creditAccount = '';
    h.fake.editJournalEntry(h.realmId, may.qboId!, (je) => {
      const dr = je.Line.find(
        (l: { JournalEntryLineDetail: { PostingType: string } }) => l.JournalEntryLineDetail.PostingType === 'Debit',
      );
      const cr = je.Line.find(
        (l: { JournalEntryLineDetail: { PostingType: string } }) => l.JournalEntryLineDetail.PostingType === 'Credit',
      );
      dr.Amount = Number((dr.Amount + 1.25).toFixed(2));
      cr.Amount = Number((cr.Amount + 1.25).toFixed(2));
      debitAccount = dr.JournalEntryLineDetail.AccountRef.value;
      creditAccount = cr.JournalEntryLineDetail.AccountRef.value;
    });
    const cdc = await h.api.changeDataCapture(['JournalEntry'], sweepStart);
    const drift = detectDrift(records, currentFromCdc(cdc));
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({
      kind: 'edited',
      qboId: may.qboId,
      period: '2026-05',
      linesChanged: true,
      recorded: { syncToken: '0' },
      current: { syncToken: '1' },
    });

    const r = compareTotals({
      ledgerLines: lines,
      accounts: h.accounts,
      qboEntries: await readBack(),
      periodOf,
      homeCurrency: 'USD',
    });
    expect(r.differences).toHaveLength(2);
    const dr = r.differences.find((d) => d.accountId === debitAccount)!;
    const cr = r.differences.find((d) => d.accountId === creditAccount)!;
    expect(dr.period).toBe('2026-05');
    expect(dr.qbo_minor - dr.ledger_minor).toBe(125n);
    expect(cr.ledger_minor - cr.qbo_minor).toBe(125n);
    expect(dr.difference_minor).toBe(-125n);
  });

  it('flags a memo-only edit without a lines change', async () => {
    const records = await store.list(h.realmId, { state: 'posted' });
    const june = records.find((r) => r.period === '2026-06')!;
    h.fake.editJournalEntry(h.realmId, june.qboId!, (je) => {
      je.PrivateNote = 'checked by accountant';
    });
    const drift = detectDrift(records, await readBackEntries(h.api, [june.qboId!]));
    expect(drift).toEqual([expect.objectContaining({ kind: 'edited', qboId: june.qboId, linesChanged: false })]);
  });

  it('detects a delete through the CDC tombstone and through a 610 read', async () => {
    const records = await store.list(h.realmId, { state: 'posted' });
    const april = records.find((r) => r.period === '2026-04')!;
    h.fake.deleteJournalEntry(h.realmId, april.qboId!);
    const cdc = await h.api.changeDataCapture(['JournalEntry'], sweepStart);
    expect(cdc.changes['JournalEntry']!.some((o) => o.Id === april.qboId && o.status === 'Deleted')).toBe(true);
    const drift = detectDrift(records, currentFromCdc(cdc));
    expect(drift.find((d) => d.qboId === april.qboId)).toMatchObject({ kind: 'deleted', period: '2026-04' });
    const viaRead = detectDrift(records, await readBackEntries(h.api, [april.qboId!]));
    expect(viaRead).toEqual([expect.objectContaining({ kind: 'deleted', qboId: april.qboId })]);

    const r = compareTotals({
      ledgerLines: lines,
      accounts: h.accounts,
      qboEntries: await readBack(),
      periodOf,
      homeCurrency: 'USD',
    });
    const aprilDiffs = r.differences.filter((d) => d.period === '2026-04');
    expect(aprilDiffs.length).toBeGreaterThan(0);
    expect(aprilDiffs.every((d) => d.qbo_minor === 0n && d.ledger_minor === d.difference_minor)).toBe(true);
  });

  it('computes the next CDC start with a safety margin, in UTC Z form', () => {
    expect(nextChangedSince('2026-11-30T10:10:00.000-08:00', 0)).toBe('2026-11-30T18:05:00.000Z');
    expect(nextChangedSince(undefined, Date.parse('2026-01-01T00:10:00Z'))).toBe('2026-01-01T00:05:00.000Z');
  });
});
