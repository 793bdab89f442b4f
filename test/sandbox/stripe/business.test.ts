// Proves the sample-business generator is deterministic per seed, contains every case the demo
// promises (prorations, bundle, setup fees, coupons, tax, EUR/JPY with exchange rates, refunds,
// credit notes, a lost and a won dispute, a write-off, payouts), is internally consistent (invoice
// totals, payments, balance transactions, event order and snapshots), and that the fake and the
// readers serve it: a full backfill over HTTP, and HTTP/memory reader parity on its documents.
import type Stripe from 'stripe';
import { createStripeClient } from '../../../backend/stripe/client.ts';
import { listInvoices } from '../../../backend/stripe/listing.ts';
import { createStripeReader, type StripeObject } from '../../../backend/stripe/reader.ts';
import { createMemoryReader } from '../../../backend/sandbox/stripe/store.ts';
import { TenantSettingsSchema } from '../../../shared/settings.ts';
import { generateBusiness, type SampleBusiness } from '../../../backend/sandbox/stripe/business.ts';
import { startStripeFake } from '../../../backend/sandbox/stripe/server.ts';

const SEED = Number(process.env.SEED ?? 20_251_121);
console.log(`SEED=${SEED}`);

let business: SampleBusiness;
beforeAll(() => {
  business = generateBusiness({ seed: SEED });
});

const byType = (objects: StripeObject[], type: string): StripeObject[] => objects.filter((o) => o.object === type);
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('generateBusiness', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const again = generateBusiness({ seed: SEED });
    expect(JSON.stringify(again.replay)).toBe(JSON.stringify(business.replay));
    const other = generateBusiness({ seed: SEED + 1 });
    expect(JSON.stringify(other.replay)).not.toBe(JSON.stringify(business.replay));
  });

  it('contains every case the demo needs', () => {
    const s = business.stats;
    expect(sum(['customers_usd', 'customers_eur', 'customers_jpy'].map((k) => s[k] ?? 0))).toBe(300);
    for (const key of [
      'customers_eur',
      'customers_jpy',
      'charges_eur',
      'charges_jpy',
      'upgrades',
      'downgrades',
      'invoices_with_prorations',
      'bundle_customers',
      'setup_fees',
      'discounted_invoices',
      'taxed_invoices',
      'refunds_full',
      'refunds_partial',
      'credit_notes_refund',
      'credit_notes_balance',
      'balance_applied',
      'payment_failures',
      'invoices_over_10_lines',
      'payouts',
    ]) {
      expect(s[key] ?? 0, key).toBeGreaterThan(0);
    }
    expect(s.disputes_lost).toBe(1);
    expect(s.disputes_won).toBe(1);
    expect(s.written_off).toBe(1);
    const types = new Set(business.events.map((e) => e.type));
    for (const t of [
      'invoice.finalized',
      'invoice.paid',
      'charge.succeeded',
      'charge.refunded',
      'credit_note.created',
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.funds_reinstated',
      'charge.dispute.closed',
      'invoice.marked_uncollectible',
      'payout.paid',
      'invoiceitem.created',
    ]) {
      expect(types.has(t), t).toBe(true);
    }
    expect(TenantSettingsSchema.safeParse(business.suggestedSettings).success).toBe(true);
  });

  it('keeps events in time order, inside the window, each naming an object that exists', () => {
    const ids = new Set(business.objects.map((o) => o.id));
    let previous = 0;
    for (const e of business.events) {
      const created = e.created as number;
      expect(created).toBeGreaterThanOrEqual(previous);
      expect(created).toBeLessThan(business.end);
      expect(e.account).toBe(business.account);
      expect(ids.has((e.data as { object: StripeObject }).object.id)).toBe(true);
      previous = created;
    }
    for (const o of business.objects) if (typeof o.created === 'number') expect(o.created).toBeLessThan(business.end);
  });

  it('adds invoices up: lines, discounts, tax, balance applied and what was paid', () => {
    const payments = byType(business.objects, 'invoice_payment');
    const charges = new Map(byType(business.objects, 'charge').map((c) => [c.payment_intent as string, c]));
    for (const inv of byType(business.objects, 'invoice')) {
      const lines = (inv.lines as { data: StripeObject[] }).data;
      const subtotal = sum(lines.map((l) => l.amount as number));
      const discounts = sum(lines.flatMap((l) => (l.discount_amounts as { amount: number }[]).map((d) => d.amount)));
      const taxes = sum(lines.flatMap((l) => (l.taxes as { amount: number }[]).map((t) => t.amount)));
      expect(inv.subtotal).toBe(subtotal);
      // Billing credits applied before tax (Stripe's pretax_credit_amounts) reduce the total like discounts.
      const credits = sum(
        lines.flatMap((l) =>
          ((l.pretax_credit_amounts as { amount: number; type: string }[] | undefined) ?? [])
            .filter((c) => c.type !== 'discount')
            .map((c) => c.amount),
        ),
      );
      expect(inv.total).toBe(subtotal - discounts - credits + taxes);
      expect(sum((inv.total_taxes as { amount: number }[]).map((t) => t.amount))).toBe(taxes);
      const applied = (inv.ending_balance as number) - (inv.starting_balance as number);
      expect(inv.amount_due).toBe(Math.max(0, (inv.total as number) - applied));
      if (inv.status === 'paid' && (inv.amount_due as number) > 0) {
        const paid = payments.filter((p) => p.invoice === inv.id && p.status === 'paid');
        expect(paid).toHaveLength(1);
        const ch = charges.get((paid[0]!.payment as { payment_intent: string }).payment_intent);
        expect(ch?.amount).toBe(inv.amount_due);
        expect(ch?.currency).toBe(inv.currency);
      }
    }
  });

  it("settles EUR in a EUR balance and JPY in USD with Stripe's rate, fees in the settlement currency", () => {
    const bts = byType(business.objects, 'balance_transaction');
    const charges = new Map(byType(business.objects, 'charge').map((c) => [c.id, c]));
    const settledIn = new Set<string>();
    for (const bt of bts) {
      expect(bt.net).toBe((bt.amount as number) - (bt.fee as number));
      settledIn.add(bt.currency as string);
      if (bt.type !== 'charge') continue;
      const ch = charges.get(bt.source as string)!;
      expect(bt.currency, ch.id).toBe(ch.currency === 'eur' ? 'eur' : 'usd');
      // Stripe's exchange_rate only where it converted: JPY to USD.
      expect(bt.exchange_rate === null, ch.id).toBe(ch.currency !== 'jpy');
      if (ch.currency === 'eur') expect(bt.amount).toBe(ch.amount);
      expect(bt.fee as number).toBeGreaterThan(0);
    }
    expect([...settledIn].sort()).toEqual(['eur', 'usd']);
    expect(business.stats.payouts_eur ?? 0).toBeGreaterThan(0);
  });

  it('pays out each balance in its own currency, no more than that balance holds', () => {
    const bts = byType(business.objects, 'balance_transaction');
    for (const currency of ['usd', 'eur']) {
      const payouts = byType(business.objects, 'payout').filter((p) => p.currency === currency);
      const payoutTotal = sum(payouts.map((p) => p.amount as number));
      const own = bts.filter((b) => b.currency === currency);
      const movement = sum(own.filter((b) => b.type !== 'payout').map((b) => b.net as number));
      expect(payoutTotal, currency).toBeGreaterThan(0);
      expect(payoutTotal, currency).toBeLessThanOrEqual(movement);
      expect(sum(own.filter((b) => b.type === 'payout').map((b) => b.amount as number))).toBe(-payoutTotal);
    }
  });

  it('gives the daily rates it settled at, one per day of the window', () => {
    const days = Math.round((business.end - business.start) / 86_400);
    expect(business.rates).toHaveLength(days);
    const jpyCharge = byType(business.objects, 'balance_transaction').find((b) => b.exchange_rate !== null)!;
    const day = new Date((jpyCharge.created as number) * 1000).toISOString().slice(0, 10);
    expect(business.rates.find((r) => r.date === day)!.jpy).toBe(Number(jpyCharge.exchange_rate).toFixed(6));
    // Rates move: month ends differ, within a realistic range of the start.
    const monthEnds = business.rates.filter((r) => r.date.endsWith('-01')).map((r) => Number(r.eur));
    expect(new Set(monthEnds).size).toBe(monthEnds.length);
    for (const r of business.rates) expect(Math.abs(Number(r.eur) / 1.08 - 1)).toBeLessThan(0.25);
  });
});

describe('serving the business', () => {
  it('backfills every invoice over HTTP and reads documents identically over HTTP and in memory', async () => {
    const small = generateBusiness({ seed: SEED, customers: 40 });
    const fake = await startStripeFake();
    try {
      fake.load(small.replay, small.account);
      const stripe: Stripe = createStripeClient({ secretKey: 'sk_test_business_0000', apiBase: fake.url });
      const listed = [];
      for await (const inv of listInvoices(stripe, small.account)) listed.push(inv);
      const invoices = byType(small.objects, 'invoice');
      expect(listed).toHaveLength(invoices.length);
      expect(listed.every((i) => !i.lines.has_more)).toBe(true);

      const http = createStripeReader(stripe, small.account);
      const memory = createMemoryReader(small.replay);
      const big = invoices.filter((i) => (i.lines as { data: unknown[] }).data.length > 10).slice(0, 3);
      expect(big.length).toBeGreaterThan(0);
      for (const inv of [...big, ...invoices.slice(0, 10)]) {
        const viaHttp = await http.getInvoice(inv.id);
        expect(viaHttp.lines.data).toHaveLength((inv.lines as { data: unknown[] }).data.length);
        expect(await memory.getInvoice(inv.id)).toStrictEqual(viaHttp);
      }
      for (const cn of byType(small.objects, 'credit_note')) {
        expect(await memory.getCreditNote(cn.id)).toStrictEqual(await http.getCreditNote(cn.id));
      }
      // Each payout lists what it paid out, as Stripe does: its nets add up to the payout, per currency.
      for (const po of byType(small.objects, 'payout').filter((p) => p.status === 'paid')) {
        const listed = await http.payoutBalanceTransactions!(po.id);
        expect(listed.every((bt) => bt.currency === po.currency)).toBe(true);
        const paidOut = sum(listed.filter((bt) => bt.type !== 'payout').map((bt) => bt.net));
        expect(paidOut, po.id).toBe(po.amount);
        expect(await memory.payoutBalanceTransactions!(po.id)).toStrictEqual(listed);
      }
      for (const ch of byType(small.objects, 'charge').slice(0, 10)) {
        expect(await memory.findInvoicePaymentByCharge(ch.id)).toStrictEqual(
          await http.findInvoicePaymentByCharge(ch.id),
        );
        expect(await memory.getBalanceTransaction(ch.balance_transaction as string)).toStrictEqual(
          await http.getBalanceTransaction(ch.balance_transaction as string),
        );
      }
    } finally {
      await fake.close();
    }
  });
});
