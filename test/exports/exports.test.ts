// Proves the pure export builders over the sample ledger: the netted QuickBooks format has one
// line per account per period and currency, each period/currency nets to zero and ties to the
// ledger; account names are sanitized to hledger's and beancount's rules and never merge two
// accounts; the hledger and beancount texts carry the entry key, dates and original amounts;
// and exportLedger names its files.
import { AccrueError } from '../../shared/errors.ts';
import { normalizeCurrency, parseMajor } from '../../shared/money.ts';
import { parseCsv } from '../../shared/reports/csv.ts';
import { sampleLedger } from '../../shared/reports/fixtures/sample-ledger.ts';
import { trialBalance } from '../../shared/reports/trial-balance.ts';
import { accountNames, accountPath, nameComponent } from '../../backend/exports/account-names.ts';
import { toBeancountJournal } from '../../backend/exports/beancount.ts';
import { toHledgerJournal } from '../../backend/exports/hledger.ts';
import { exportLedger, nettedLines, QUICKBOOKS_CSV_HEADER, toQuickBooksCsv } from '../../backend/exports/index.ts';

describe('QuickBooks format (netted)', () => {
  it('has one line per account per period and currency, netted to one side', () => {
    const netted = nettedLines(sampleLedger());
    const keys = netted.map((n) => `${n.period}|${n.currency}|${n.role}|${n.account}`);
    expect(new Set(keys).size).toBe(keys.length);
    // February USD deferred revenue: refund 100.00 + recognitions 50.00 + 46.27 debited, nothing credited.
    const febDr = netted.find((n) => n.period === '2026-02' && n.currency === 'usd' && n.role === 'deferred_revenue')!;
    expect(febDr.net).toBe(19627n);
    expect(febDr.journalDate).toBe('2026-02-28');
    // Accounts that net to zero in a period are left out: March USD cash clearing has no lines at all,
    // and January's receivable nets 324 − 324 + 97.50.
    expect(netted.find((n) => n.period === '2026-01' && n.currency === 'usd' && n.role === 'receivable')!.net).toBe(
      9750n,
    );
    expect(netted.some((n) => n.net === 0n)).toBe(false);
  });

  it('writes a CSV whose every period and currency balances and whose sums tie to the trial balance', () => {
    const rows = parseCsv(toQuickBooksCsv(sampleLedger()));
    expect(rows[0]).toEqual([...QUICKBOOKS_CSV_HEADER]);
    const body = rows.slice(1);
    const byJournal = new Map<string, bigint>();
    const byAccount = new Map<string, bigint>();
    for (const r of body) {
      const [journalNo, , code, account, debits, credits, , , role] = r as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const currency = normalizeCurrency(code);
      expect(debits === '' || credits === '').toBe(true);
      const net = (debits ? parseMajor(debits, currency) : 0n) - (credits ? parseMajor(credits, currency) : 0n);
      byJournal.set(journalNo, (byJournal.get(journalNo) ?? 0n) + net);
      const k = `${currency.toLowerCase()}|${role}|${account}`;
      byAccount.set(k, (byAccount.get(k) ?? 0n) + net);
    }
    expect([...byJournal.keys()]).toEqual([
      'ACCRUE-2026-01-USD',
      'ACCRUE-2026-02-JPY',
      'ACCRUE-2026-02-USD',
      'ACCRUE-2026-03-JPY',
      'ACCRUE-2026-03-USD',
    ]);
    for (const net of byJournal.values()) expect(net).toBe(0n);
    for (const row of trialBalance(sampleLedger()).rows) {
      expect(byAccount.get(`${row.currency}|${row.role}|${row.account}`) ?? 0n).toBe(row.balance);
    }
  });

  it('refuses a period that does not net to zero', () => {
    const broken = sampleLedger().filter((l) => !(l.entryId === 'je_03' && l.role === 'fees'));
    expect(() => nettedLines(broken)).toThrowError(AccrueError);
  });

  it('dates non-monthly periods by the given period end', () => {
    const lines = sampleLedger().map((l) => ({ ...l, period: l.period === '2026-01' ? '2026-P01' : l.period }));
    const netted = nettedLines(lines, { periodEndOf: (p) => (p === '2026-P01' ? '2026-01-28' : `${p}-28`) });
    expect(netted.find((n) => n.period === '2026-P01')!.journalDate).toBe('2026-01-28');
  });
});

describe('account names', () => {
  it('sanitizes names to each tool’s rules', () => {
    expect(nameComponent('Consulting (Gulf); retainer', 'hledger')).toBe('Consulting Gulf retainer');
    expect(nameComponent('Consulting (Gulf); retainer', 'beancount')).toBe('Consulting-Gulf-Retainer');
    expect(nameComponent('  ', 'beancount')).toBe('Unnamed');
    expect(nameComponent('4000 sales: EU', 'beancount')).toMatch(/^[A-Z0-9][A-Za-z0-9-]*$/);
    expect(accountPath('deferred_discounts', 'Deferred Discounts', 'beancount')).toBe(
      'Liabilities:Deferred-Discounts:Deferred-Discounts',
    );
    expect(accountPath('fees', 'Stripe Fees', 'hledger')).toBe('Expenses:Fees:Stripe Fees');
    expect(accountPath('refunds', 'Refunds', 'hledger')).toBe('Income:Refunds:Refunds');
  });

  it('never merges two accounts whose sanitized names collide', () => {
    const base = sampleLedger();
    const lines = [
      ...base,
      ...base
        .filter((l) => l.account === 'Pro Plan')
        .map((l) => ({ ...l, account: 'Pro-Plan', entryId: `${l.entryId}x` })),
    ];
    const names = accountNames(lines, 'hledger');
    const pro = names.get('revenue\u0000Pro Plan');
    const proDash = names.get('revenue\u0000Pro-Plan');
    expect(pro).toBeDefined();
    expect(proDash).toBeDefined();
    expect(pro).not.toBe(proDash);
    expect(new Set(names.values()).size).toBe(names.size);
  });
});

describe('journal texts', () => {
  it('hledger: one transaction per entry with code, entry tag, commodity directives and originals', () => {
    const text = toHledgerJournal(sampleLedger());
    expect(text.match(/^\d{4}-\d{2}-\d{2} \* /gm)).toHaveLength(19);
    expect(text).toContain('commodity 1000. JPY');
    expect(text).toContain('commodity 1000.000 KWD');
    expect(text).toContain(
      '2026-03-01 * (je_14) Invoice in_D finalized (late February is closed)  ; entry:invoice.finalized:in_D, kind:invoice_finalized, source:in_D, correction:true, original_date:2026-02-27',
    );
    expect(text).toContain(
      '    Liabilities:Deferred Revenue:Deferred Revenue  -97.50 USD  ; original:-30.000 KWD, rate:3.25',
    );
    expect(text).toContain('    Assets:Receivable:Stripe Receivables  12000 JPY');
  });

  it('beancount: options, opens on or before first use, links and metadata', () => {
    const text = toBeancountJournal(sampleLedger());
    expect(text).toContain('option "operating_currency" "USD"');
    expect(text).toContain('option "operating_currency" "JPY"');
    const opens = new Map([...text.matchAll(/^(\d{4}-\d{2}-\d{2}) open (\S+)/gm)].map((m) => [m[2]!, m[1]!]));
    for (const m of text.matchAll(/^(\d{4}-\d{2}-\d{2}) \*[^\n]*\n((?: {2}.*\n?)*)/gm)) {
      for (const posting of m[2]!.matchAll(/^ {2}([A-Z][^\s:]*:\S+) {2}/gm)) {
        const opened = opens.get(posting[1]!);
        expect(opened, posting[1]).toBeDefined();
        expect(opened! <= m[1]!).toBe(true);
      }
    }
    expect(text).toContain('2026-01-20 * "Consulting retainer, \\"Gulf\\" region" ^invoice.finalized-in_B');
    expect(text).toContain(
      '2026-03-01 * "Invoice in_D finalized (late; February is closed)" ^invoice.finalized-in_D #correction',
    );
    expect(text).toContain('    original: "-30.000 KWD"');
  });

  it('exportLedger names files per format', () => {
    expect(exportLedger(sampleLedger(), 'csv', 'acct_1/test').filename).toBe('accrue-journal-acct_1-test.csv');
    expect(exportLedger(sampleLedger(), 'hledger', 'acct_1').filename).toBe('accrue-acct_1.journal');
    expect(exportLedger(sampleLedger(), 'beancount', 'acct_1').body).toContain('option "operating_currency"');
    expect(exportLedger(sampleLedger(), 'quickbooks', 'acct_1').body.startsWith(QUICKBOOKS_CSV_HEADER.join(','))).toBe(
      true,
    );
  });
});
