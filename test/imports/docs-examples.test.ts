/**
 * The two CSV examples in docs/accounting.md §6e import as the text around them says, so the
 * documented formats cannot drift from the importers.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importManualJournal } from '../../backend/app/imports/manual-journal.ts';
import { importOpeningBalances } from '../../backend/app/imports/opening-balances.ts';
import { loadLedgerLines } from '../../backend/ledger/ledger.ts';
import { ensureTenant } from '../../backend/ledger/tenants.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let t: TestDatabase;
const doc = readFileSync(new URL('../../docs/accounting.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('## 6e.'), doc.indexOf('## 7.'));
const blocks = [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]!);

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.close());

describe('docs/accounting.md §6e examples', () => {
  it('has a manual journal example and an opening balances example', () => {
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toMatch(/^entry_key,/);
    expect(blocks[1]).toMatch(/^type,/);
  });

  it('posts the manual journal example as documented', async () => {
    const tenant = await ensureTenant(t.db, { accountId: 'acct_DocsJournal', livemode: false });
    const r = await importManualJournal(t.db, tenant, { csv: blocks[0]!, author: 'docs' });
    expect(r.keys).toEqual(['manual:adj-2026-03-1', 'manual:adj-2026-03-2']);
    const lines = await loadLedgerLines(t.db, tenant.id, { entryKeyPrefix: 'manual:adj-2026-03-1' });
    expect(lines.map((l) => [l.account, l.amountMinor])).toEqual([
      ['Revenue', 12000n],
      ['Deferred Revenue', -12000n],
    ]);
  });

  it('posts the opening balances example as documented and ties out', async () => {
    const tenant = await ensureTenant(t.db, { accountId: 'acct_DocsOpening', livemode: false });
    const r = await importOpeningBalances(t.db, tenant, { csv: blocks[1]!, cutover: '2026-04-01', author: 'docs' });
    expect(r.tiedOut).toBe(true);
    expect(r.tieOut.map((x) => x.importedMinor)).toEqual(['60000', '15000', '2500']);
    const lines = await loadLedgerLines(t.db, tenant.id);
    expect(new Set(lines.map((l) => l.postingDate))).toEqual(new Set(['2026-03-31']));
    const offset = lines.filter((l) => l.account === 'Opening Balances').reduce((s, l) => s + l.amountMinor, 0n);
    expect(offset).toBe(47500n);
  });
});
