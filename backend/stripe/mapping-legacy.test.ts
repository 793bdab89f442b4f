/**
 * Proves the fallbacks for streams without invoice payment objects: a charge that names its
 * invoice (API versions before 2025-03-31), or an invoice that names its charge, books the same
 * journal as the invoice payment would — never a second, one-time revenue.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { replayPure, toJournalCsv } from '../../test/golden/run.ts';

const dir = join(import.meta.dirname, '..', '..', 'test', 'golden', 'refund-partial');
const lines = readFileSync(join(dir, 'input.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const settings = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'));
const through = (JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as { through: string }).through;
const expected = readFileSync(join(dir, 'expected.csv'), 'utf8');

it('books a refund against the invoice its charge names (legacy charge.invoice), never as a one-time charge', async () => {
  const legacy = lines
    .filter((l) => l.object !== 'invoice_payment')
    .map((l) => (l.object === 'charge' ? { ...l, invoice: 'in_pref' } : l));
  const csv = toJournalCsv(await replayPure(legacy, settings, through), settings);
  expect(csv).not.toMatch(/\nch:|,ch:ch_pref,|rec:ch_pref/);
  const refundLines = csv.split('\n').filter((r) => r.includes(',ref:re_pref,'));
  expect(refundLines).toEqual(expected.split('\n').filter((r) => r.includes(',ref:re_pref,')));
});

it('links an invoice to its payment through the legacy invoice.charge field', async () => {
  const legacy = lines
    .filter((l) => l.object !== 'invoice_payment')
    .map((l) =>
      l.object === 'charge' ? { ...l, invoice: 'in_pref' } : l.object === 'invoice' ? { ...l, charge: 'ch_pref' } : l,
    );
  expect(toJournalCsv(await replayPure(legacy, settings, through), settings)).toBe(expected);
});

it('without any link, books the charge on its own (the documented limitation)', async () => {
  const unlinked = lines.filter((l) => l.object !== 'invoice_payment');
  expect(toJournalCsv(await replayPure(unlinked, settings, through), settings)).not.toBe(expected);
});
