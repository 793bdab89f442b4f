/**
 * A deterministic generator of posted ledger lines (`LedgerLine`) for QuickBooks tests and the
 * benchmark: invoices, recognition, payments and fees for a set of customers over some months,
 * every entry balanced. Not accounting-accurate schedules; only realistic shapes and volumes.
 */
import type { AccountRole } from '../../../shared/accounts.ts';
import type { EntryKind } from '../../../shared/journal.ts';
import type { LedgerLine } from '../../../shared/ledger-rows.ts';
import { currency as currencyOf, type Currency, minor } from '../../../shared/money.ts';
import { prng as rng } from '../../../shared/prng.ts';

export interface LedgerSpec {
  tenantId: string;
  months: string[];
  entriesPerMonth: number;
  customers: number;
  currency?: Currency;
  seed?: number;
}

/** The (role, account) pairs the generator uses, for building mappings. */
export const GENERATED_ACCOUNTS: { role: AccountRole; account: string }[] = [
  { role: 'receivable', account: 'Stripe Receivables' },
  { role: 'deferred_revenue', account: 'Deferred Revenue' },
  { role: 'tax_liability', account: 'Sales Tax Payable' },
  { role: 'revenue', account: 'Revenue' },
  { role: 'revenue', account: 'Revenue - Enterprise' },
  { role: 'cash_clearing', account: 'Stripe Balance' },
  { role: 'fees', account: 'Stripe Fees' },
];

export function generateLedger(spec: LedgerSpec): LedgerLine[] {
  const rand = rng(spec.seed ?? 42);
  const currency = spec.currency ?? currencyOf('usd');
  const out: LedgerLine[] = [];
  let n = 0;
  for (const month of spec.months) {
    for (let i = 0; i < spec.entriesPerMonth; i++) {
      n++;
      const day = String(1 + Math.floor(rand() * 28)).padStart(2, '0');
      const postingDate = `${month}-${day}`;
      const customer = `cus_${String(1 + Math.floor(rand() * spec.customers)).padStart(5, '0')}`;
      const amount = BigInt(500 + Math.floor(rand() * 200_000));
      const kinds: EntryKind[] = ['invoice_finalized', 'recognition', 'payment', 'fee'];
      const kind = kinds[n % kinds.length]!;
      const entryId = `je_${spec.tenantId}_${n}`;
      const base = {
        entryId,
        entryKey: `key_${n}`,
        kind,
        postingDate,
        period: month,
        correction: false,
        memo: `${kind} ${n}`,
        sources: [`in_${n}`],
        currency,
        customer,
      };
      const lines: { role: AccountRole; account: string; amount: bigint }[] = [];
      if (kind === 'invoice_finalized') {
        const tax = amount / 10n;
        lines.push({ role: 'receivable', account: 'Stripe Receivables', amount: amount + tax });
        lines.push({ role: 'deferred_revenue', account: 'Deferred Revenue', amount: -amount });
        lines.push({ role: 'tax_liability', account: 'Sales Tax Payable', amount: -tax });
      } else if (kind === 'recognition') {
        lines.push({ role: 'deferred_revenue', account: 'Deferred Revenue', amount });
        lines.push({ role: 'revenue', account: rand() < 0.3 ? 'Revenue - Enterprise' : 'Revenue', amount: -amount });
      } else if (kind === 'payment') {
        lines.push({ role: 'cash_clearing', account: 'Stripe Balance', amount });
        lines.push({ role: 'receivable', account: 'Stripe Receivables', amount: -amount });
      } else {
        const fee = 30n + amount / 33n;
        lines.push({ role: 'fees', account: 'Stripe Fees', amount: fee });
        lines.push({ role: 'cash_clearing', account: 'Stripe Balance', amount: -fee });
      }
      lines.forEach((l, lineNo) =>
        out.push({ ...base, lineNo, role: l.role, account: l.account, amountMinor: minor(l.amount) }),
      );
    }
  }
  return out;
}
