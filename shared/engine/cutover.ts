/**
 * The cutover (docs/accounting.md, "Cutover and opening balances"): books that start from
 * imported opening balances do not book Stripe's history before the cutover again. The engine
 * still sees every fact of an aggregate — an invoice finalized before the cutover is known, so a
 * refund or credit note on it after the cutover splits and books as usual — but of its entries:
 *
 * - every entry dated before the cutover is dropped (the opening balances already hold its effect);
 * - the recognition of an invoice finalized before the cutover is dropped too: its deferred
 *   revenue came from the import, and the imported schedule releases it (`opening-release.ts`).
 *
 * Pure: the same entries and the same cutover give the same answer.
 */
import type { EntryDraft, LocalDate } from '../journal.ts';

const FINALIZED = /^inv:(.+):finalized$/;
const RECOGNITION = /^rec:(.+):[^:]+$/;

/** The invoices whose finalization the engine dates before the cutover: their opening balances were imported. */
export function invoicesBeforeCutover(entries: readonly EntryDraft[], cutover: LocalDate): Set<string> {
  const out = new Set<string>();
  for (const e of entries) {
    const m = FINALIZED.exec(e.key);
    if (m && e.postingDate < cutover) out.add(m[1]!);
  }
  return out;
}

/** The entries the books take from the engine when they start at `cutover` (all of them when null). */
export function entriesFromCutover(entries: EntryDraft[], cutover: LocalDate | null | undefined): EntryDraft[] {
  if (!cutover) return entries;
  const imported = invoicesBeforeCutover(entries, cutover);
  return entries.filter((e) => {
    if (e.postingDate < cutover) return false;
    if (e.kind !== 'recognition') return true;
    const m = RECOGNITION.exec(e.key);
    return !(m && imported.has(m[1]!));
  });
}
