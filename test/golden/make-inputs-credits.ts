/**
 * Writes the inputs of the golden scenarios for billing credits, stored value and cancellation
 * credit notes, with the helpers of make-inputs.ts. Expected journals are written by hand (each
 * scenario's README has the arithmetic).
 *
 * Run: node bin/run-ts.js test/golden/make-inputs-credits.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bt, charge, event, invoice, invoicePayment, ts } from './make-inputs.ts';

const here = dirname(fileURLToPath(import.meta.url));

type Obj = Record<string, unknown> & { id: string; object: string };

interface Scenario {
  name: string;
  settings: Record<string, unknown>;
  through?: string;
  lines: Obj[];
}

const scenarios: Scenario[] = [];
const JAN = ts('2026-01-01');
const FEB = ts('2026-02-01');
const MAR = ts('2026-03-01');

/** A monetary credit grant in USD. */
export function grant(
  id: string,
  category: 'paid' | 'promotional',
  amount: number,
  at: number,
  extra: { expiresAt?: number; voidedAt?: number; invoice?: string } = {},
): Obj {
  return {
    id,
    object: 'billing.credit_grant',
    amount: { monetary: { currency: 'usd', value: amount }, type: 'monetary' },
    applicability_config: { scope: { price_type: 'metered' } },
    category,
    created: at,
    customer: 'cus_golden',
    customer_account: null,
    effective_at: at,
    expires_at: extra.expiresAt ?? null,
    livemode: false,
    metadata: extra.invoice ? { invoice: extra.invoice } : {},
    name: `${category} credits`,
    priority: 50,
    test_clock: null,
    updated: extra.voidedAt ?? at,
    voided_at: extra.voidedAt ?? null,
  };
}

/** Credits of a grant applied to one invoice line (`credits_applied`). */
export function creditApplied(id: string, grantId: string, amount: number, at: number, inv: string, line: string): Obj {
  return {
    id,
    object: 'billing.credit_balance_transaction',
    created: at,
    credit: null,
    credit_grant: grantId,
    debit: {
      amount: { monetary: { currency: 'usd', value: amount }, type: 'monetary' },
      credits_applied: { invoice: inv, invoice_line_item: line },
      type: 'credits_applied',
    },
    effective_at: at,
    livemode: false,
    test_clock: null,
    type: 'debit',
  };
}

/** An invoice whose lines carry billing credits: `credits[lineId] = [transaction, amount]`. */
function invoiceWithCredits(inv: Obj, credits: Record<string, [string, number]>): Obj {
  const lines = (inv.lines as { data: Obj[] }).data;
  let applied = 0;
  for (const line of lines) {
    const credit = credits[line.id];
    if (!credit) continue;
    line.pretax_credit_amounts = [
      { amount: credit[1], credit_balance_transaction: credit[0], type: 'credit_balance_transaction' },
    ];
    applied += credit[1];
  }
  const total = (inv.total as number) - applied;
  const due = (inv.amount_due as number) - applied;
  const paid = inv.amount_paid === 0 ? 0 : due;
  return {
    ...inv,
    total,
    total_excluding_tax: (inv.total_excluding_tax as number) - applied,
    amount_due: due,
    amount_paid: paid,
    amount_remaining: due - paid,
    total_pretax_credit_amounts: Object.values(credits).map(([txn, amount]) => ({
      amount,
      credit_balance_transaction: txn,
      type: 'credit_balance_transaction',
    })),
  };
}

/** A customer balance transaction (negative = credit to the customer). */
export function balanceTxn(
  id: string,
  type: string,
  amount: number,
  at: number,
  extra: { invoice?: string; storedValue?: string; expiresAt?: number } = {},
): Obj {
  const metadata: Record<string, string> = {};
  if (extra.storedValue) metadata.stored_value = extra.storedValue;
  if (extra.expiresAt) metadata.expires_at = String(extra.expiresAt);
  return {
    id,
    object: 'customer_balance_transaction',
    amount,
    checkout_session: null,
    created: at,
    credit_note: null,
    currency: 'usd',
    customer: 'cus_golden',
    customer_account: null,
    description: null,
    ending_balance: 0,
    invoice: extra.invoice ?? null,
    livemode: false,
    metadata,
    type,
  };
}

/** The golden customer, holding `balance` (negative: credit). */
function customer(balance: number): Obj {
  return {
    id: 'cus_golden',
    object: 'customer',
    balance,
    created: JAN,
    currency: 'usd',
    livemode: false,
    metadata: {},
  };
}

/** An invoice of one line, finalized and paid at `at` by charge `ch_<suffix>` (fee 0). */
function paidSale(id: string, product: string, amount: number, at: number, end = at): Obj[] {
  const suffix = id.slice(3);
  const inv = invoice({
    id,
    finalizedAt: at,
    paidAt: at,
    lines: [{ id: `il_${suffix}`, amount, product, start: at, end }],
  });
  return [
    inv,
    bt(`txn_${suffix}`, amount, 0, at, { source: `ch_${suffix}` }),
    charge(`ch_${suffix}`, amount, at, `txn_${suffix}`),
    invoicePayment(`inpay_${suffix}`, id, `ch_${suffix}`, amount, at),
    event(`evt_${suffix}_f`, 'invoice.finalized', at, inv),
    event(`evt_${suffix}_p`, 'invoice.paid', at, inv),
  ];
}

/** A 60.00 plan invoice for February with `credit` of grant credits applied, paid for the rest on Feb 1. */
function invoiceUsingCredits(id: string, txn: string, credit: number): Obj[] {
  const suffix = id.slice(3);
  const base = invoice({
    id,
    finalizedAt: FEB,
    paidAt: FEB,
    lines: [{ id: `il_${suffix}`, amount: 6000, product: 'prod_plan', start: FEB, end: MAR }],
  });
  const inv = invoiceWithCredits(base, { [`il_${suffix}`]: [txn, credit] });
  const rest = 6000 - credit;
  return [
    inv,
    bt(`txn_${suffix}`, rest, 0, FEB, { source: `ch_${suffix}` }),
    charge(`ch_${suffix}`, rest, FEB, `txn_${suffix}`),
    invoicePayment(`inpay_${suffix}`, id, `ch_${suffix}`, rest, FEB),
    event(`evt_${suffix}_f`, 'invoice.finalized', FEB, inv),
    event(`evt_${suffix}_p`, 'invoice.paid', FEB, inv),
  ];
}

const CREDITS_RULE = { product_rules: { prod_credits: { rule: 'prepaid_credits' } } };

// 1. A paid grant of 100.00 bought on Jan 1 (product rule), 40.00 applied on Feb 1, expires Mar 1.
{
  const g = grant('credgr_paid', 'paid', 10000, JAN, { expiresAt: MAR });
  const applied = creditApplied('cbtxn_paid1', 'credgr_paid', 4000, FEB, 'in_use', 'il_use');
  scenarios.push({
    name: 'credits-paid-grant-expires',
    settings: CREDITS_RULE,
    through: '2026-03-31',
    lines: [
      ...paidSale('in_buy', 'prod_credits', 10000, JAN),
      g,
      event('evt_g1', 'billing.credit_grant.created', JAN, g),
      applied,
      ...invoiceUsingCredits('in_use', 'cbtxn_paid1', 4000),
      event('evt_cbt1', 'billing.credit_balance_transaction.created', FEB, applied),
    ],
  });
}

// 2. A promotional grant of 25.00: 25.00 applied to a 60.00 invoice is a price reduction (net).
{
  const g = grant('credgr_promo', 'promotional', 2500, JAN);
  const applied = creditApplied('cbtxn_promo1', 'credgr_promo', 2500, FEB, 'in_promo', 'il_promo');
  scenarios.push({
    name: 'credits-promotional-net',
    settings: {},
    through: '2026-02-28',
    lines: [
      g,
      event('evt_gp1', 'billing.credit_grant.created', JAN, g),
      applied,
      ...invoiceUsingCredits('in_promo', 'cbtxn_promo1', 2500),
    ],
  });
}

// 3. A paid grant of 100.00 (sold under the `prepaid_credits` rule), 30.00 applied, voided Feb 15
//    with 25% escheat.
{
  const VOID = ts('2026-02-15');
  const created = grant('credgr_void', 'paid', 10000, JAN);
  const voided = grant('credgr_void', 'paid', 10000, JAN, { voidedAt: VOID });
  const applied = creditApplied('cbtxn_void1', 'credgr_void', 3000, FEB, 'in_part', 'il_part');
  scenarios.push({
    name: 'credits-paid-grant-voided-escheat',
    settings: { ...CREDITS_RULE, escheat_share: '0.25' },
    through: '2026-02-28',
    lines: [
      ...paidSale('in_pack', 'prod_credits', 10000, JAN),
      voided,
      event('evt_gv1', 'billing.credit_grant.created', JAN, created),
      event('evt_gv2', 'billing.credit_grant.updated', VOID, voided),
      applied,
      ...invoiceUsingCredits('in_part', 'cbtxn_void1', 3000),
    ],
  });
}

// 4. Breakage in proportion to redemptions (breakage_rate 0.2): 40.00 applied on Feb 1.
{
  const g = grant('credgr_rate', 'paid', 10000, JAN);
  const applied = creditApplied('cbtxn_rate1', 'credgr_rate', 4000, FEB, 'in_rate', 'il_rate');
  scenarios.push({
    name: 'credits-breakage-rate',
    settings: { ...CREDITS_RULE, breakage_rate: '0.2' },
    through: '2026-02-28',
    lines: [
      ...paidSale('in_rbuy', 'prod_credits', 10000, JAN),
      g,
      event('evt_gr1', 'billing.credit_grant.created', JAN, g),
      applied,
      ...invoiceUsingCredits('in_rate', 'cbtxn_rate1', 4000),
    ],
  });
}

// 5. A 50.00 gift card sold Jan 1 funds the balance; 30.00 of it pays a Feb invoice; the rest
//    breaks after 12 months without activity.
{
  const funded = balanceTxn('cbtxn_gift', 'adjustment', -5000, JAN, { storedValue: 'GIFT-1' });
  const appliedTxn = balanceTxn('cbtxn_giftuse', 'applied_to_invoice', 3000, FEB, { invoice: 'in_redeem' });
  const inv = invoice({
    id: 'in_redeem',
    finalizedAt: FEB,
    paidAt: FEB,
    startingBalance: -5000,
    endingBalance: -2000,
    lines: [{ id: 'il_redeem', amount: 3000, product: 'prod_plan', start: FEB, end: MAR }],
  });
  scenarios.push({
    name: 'stored-value-gift-card',
    settings: { product_rules: { prod_gift: { rule: 'stored_value' } }, breakage_after_months: 12 },
    through: '2027-02-28',
    lines: [
      customer(-2000),
      ...paidSale('in_gift', 'prod_gift', 5000, JAN),
      funded,
      appliedTxn,
      inv,
      event('evt_redeem_f', 'invoice.finalized', FEB, inv),
      event('evt_gift_cu', 'customer.updated', FEB, customer(-2000)),
    ],
  });
}

// 6. Stored value with breakage_rate 0.1 and 20% escheat: 45.00 of 50.00 redeemed.
{
  const funded = balanceTxn('cbtxn_gift2', 'adjustment', -5000, JAN, { storedValue: 'GIFT-2' });
  const appliedTxn = balanceTxn('cbtxn_gift2use', 'applied_to_invoice', 4500, FEB, { invoice: 'in_redeem2' });
  const inv = invoice({
    id: 'in_redeem2',
    finalizedAt: FEB,
    paidAt: FEB,
    startingBalance: -5000,
    endingBalance: -500,
    lines: [{ id: 'il_redeem2', amount: 4500, product: 'prod_plan', start: FEB, end: MAR }],
  });
  scenarios.push({
    name: 'stored-value-breakage-rate-escheat',
    settings: { product_rules: { prod_gift: { rule: 'stored_value' } }, breakage_rate: '0.1', escheat_share: '0.2' },
    through: '2026-02-28',
    lines: [
      customer(-500),
      ...paidSale('in_gift2', 'prod_gift', 5000, JAN),
      funded,
      appliedTxn,
      inv,
      event('evt_redeem2_f', 'invoice.finalized', FEB, inv),
    ],
  });
}

// 7–8. Cancellation credit note: a 31.00 plan Jan 15 – Feb 15 (by day), paid; the subscription is
//      cancelled Jan 25 (10 days used) and a credit note gives the 21 unused days back (21.00) to
//      the customer balance. Stripe's proportional method, then `unsatisfied_first`.
{
  const start = ts('2026-01-15');
  const cancelled = ts('2026-01-25');
  const inv = invoice({
    id: 'in_term',
    finalizedAt: start,
    paidAt: start,
    lines: [{ id: 'il_term', amount: 3100, product: 'prod_plan', start, end: ts('2026-02-15') }],
  });
  const sub = {
    id: 'sub_golden',
    object: 'subscription',
    status: 'canceled',
    canceled_at: cancelled,
    ended_at: cancelled,
  };
  const cn = {
    id: 'cn_term',
    object: 'credit_note',
    invoice: 'in_term',
    customer: 'cus_golden',
    currency: 'usd',
    amount: 2100,
    subtotal: 2100,
    total: 2100,
    total_excluding_tax: 2100,
    discount_amount: 0,
    discount_amounts: [],
    pretax_credit_amounts: [],
    total_taxes: [],
    pre_payment_amount: 0,
    post_payment_amount: 2100,
    out_of_band_amount: null,
    refunds: [],
    status: 'issued',
    voided_at: null,
    effective_at: cancelled,
    created: cancelled,
    type: 'post_payment',
    reason: 'order_change',
    customer_balance_transaction: 'cbtxn_term',
    lines: {
      object: 'list',
      has_more: false,
      data: [
        {
          id: 'cnli_term',
          object: 'credit_note_line_item',
          type: 'invoice_line_item',
          invoice_line_item: 'il_term',
          amount: 2100,
          discount_amount: 0,
          discount_amounts: [],
          pretax_credit_amounts: [],
          taxes: [],
          tax_rates: [],
          quantity: 1,
          description: 'Unused time',
        },
      ],
    },
  } as Obj;
  const lines = [
    ...paidSale('in_term', 'prod_plan', 3100, start).map((o) => (o.id === 'in_term' ? inv : o)),
    sub,
    cn,
    event('evt_term_cn', 'credit_note.created', cancelled, cn),
  ] as Obj[];
  for (const [name, mode] of [
    ['termination-credit-proportional', 'proportional'],
    ['termination-credit-unsatisfied-first', 'unsatisfied_first'],
  ] as const) {
    scenarios.push({
      name,
      settings: { amortization: 'by_day', termination_credits: mode },
      through: '2026-02-28',
      lines: lines.map((o) =>
        o.object === 'event' && (o.data as { object: Obj }).object.id === 'in_term'
          ? { ...o, data: { object: inv } }
          : o,
      ),
    });
  }
}

// 9. A paid grant whose sale is named by `metadata.invoice` (no product rule): the grant is made an
//    hour after its invoice is paid, so the invoice arrives first; 40.00 applied on Feb 1.
{
  const HOUR = 3600;
  const g = grant('credgr_meta', 'paid', 10000, JAN + HOUR, { expiresAt: MAR, invoice: 'in_msale' });
  const applied = creditApplied('cbtxn_meta1', 'credgr_meta', 4000, FEB, 'in_muse', 'il_muse');
  scenarios.push({
    name: 'credits-paid-grant-sale-by-metadata',
    settings: {},
    through: '2026-02-28',
    lines: [
      ...paidSale('in_msale', 'prod_pack', 10000, JAN),
      g,
      event('evt_gm1', 'billing.credit_grant.created', JAN + HOUR, g),
      applied,
      ...invoiceUsingCredits('in_muse', 'cbtxn_meta1', 4000),
      event('evt_cbtm1', 'billing.credit_balance_transaction.created', FEB, applied),
    ],
  });
}

// 10–11. Bonus credits beside paid ones: a 100.00 paid pack (product rule) and a 10.00 promotional
//        grant of higher priority. A 60.00 February invoice uses all 10.00 of the bonus and 30.00
//        of the paid credits; the paid grant is voided Feb 15 with 70.00 left. Net, then contra.
{
  const VOID = ts('2026-02-15');
  const paid = grant('credgr_mixpaid', 'paid', 10000, JAN, { voidedAt: VOID });
  const bonus = { ...grant('credgr_mixbonus', 'promotional', 1000, JAN), priority: 10 };
  const fromBonus = creditApplied('cbtxn_mixbonus', 'credgr_mixbonus', 1000, FEB, 'in_mix', 'il_mix');
  const fromPaid = creditApplied('cbtxn_mixpaid', 'credgr_mixpaid', 3000, FEB, 'in_mix', 'il_mix');
  const base = invoice({
    id: 'in_mix',
    finalizedAt: FEB,
    paidAt: FEB,
    lines: [{ id: 'il_mix', amount: 6000, product: 'prod_plan', start: FEB, end: MAR }],
  });
  const inv = invoiceWithCredits(base, { il_mix: ['cbtxn_mixbonus', 1000] });
  const line = (inv.lines as { data: Obj[] }).data[0]!;
  line.pretax_credit_amounts = [
    { amount: 1000, credit_balance_transaction: 'cbtxn_mixbonus', type: 'credit_balance_transaction' },
    { amount: 3000, credit_balance_transaction: 'cbtxn_mixpaid', type: 'credit_balance_transaction' },
  ];
  Object.assign(inv, {
    total: 2000,
    total_excluding_tax: 2000,
    amount_due: 2000,
    amount_paid: 2000,
    amount_remaining: 0,
    total_pretax_credit_amounts: line.pretax_credit_amounts,
  });
  const lines = [
    ...paidSale('in_mixbuy', 'prod_credits', 10000, JAN),
    paid,
    bonus,
    event('evt_mixpaid_c', 'billing.credit_grant.created', JAN, { ...paid, voided_at: null }),
    event('evt_mixbonus_c', 'billing.credit_grant.created', JAN, bonus),
    event('evt_mixpaid_v', 'billing.credit_grant.updated', VOID, paid),
    fromBonus,
    fromPaid,
    inv,
    bt('txn_mix', 2000, 0, FEB, { source: 'ch_mix' }),
    charge('ch_mix', 2000, FEB, 'txn_mix'),
    invoicePayment('inpay_mix', 'in_mix', 'ch_mix', 2000, FEB),
    event('evt_mix_f', 'invoice.finalized', FEB, inv),
    event('evt_mix_p', 'invoice.paid', FEB, inv),
  ];
  for (const [name, contra] of [
    ['credits-paid-and-bonus-net', false],
    ['credits-paid-and-bonus-contra', true],
  ] as const)
    scenarios.push({
      name,
      settings: { ...CREDITS_RULE, ...(contra ? { discounts_as_contra: true } : {}) },
      through: '2026-02-28',
      lines,
    });
}

// 12. Paid credits given back: 40.00 of a paid pack applied to a 60.00 February invoice that is
//     voided Feb 10 unpaid; Stripe reinstates the 40.00 to the grant (a credit balance transaction
//     of type `credits_application_invoice_voided`).
{
  const VOIDED = ts('2026-02-10');
  const g = grant('credgr_cv', 'paid', 10000, JAN);
  const applied = creditApplied('cbtxn_cv1', 'credgr_cv', 4000, FEB, 'in_cv', 'il_cv');
  const givenBack: Obj = {
    id: 'cbtxn_cv2',
    object: 'billing.credit_balance_transaction',
    created: VOIDED,
    credit: {
      amount: { monetary: { currency: 'usd', value: 4000 }, type: 'monetary' },
      credits_application_invoice_voided: { invoice: 'in_cv', invoice_line_item: 'il_cv' },
      type: 'credits_application_invoice_voided',
    },
    credit_grant: 'credgr_cv',
    debit: null,
    effective_at: VOIDED,
    livemode: false,
    test_clock: null,
    type: 'credit',
  };
  const base = invoice({
    id: 'in_cv',
    finalizedAt: FEB,
    voidedAt: VOIDED,
    lines: [{ id: 'il_cv', amount: 6000, product: 'prod_plan', start: FEB, end: MAR }],
  });
  const inv = invoiceWithCredits(base, { il_cv: ['cbtxn_cv1', 4000] });
  scenarios.push({
    name: 'credits-invoice-voided-credits-returned',
    settings: CREDITS_RULE,
    through: '2026-02-28',
    lines: [
      ...paidSale('in_cvbuy', 'prod_credits', 10000, JAN),
      g,
      event('evt_gcv', 'billing.credit_grant.created', JAN, g),
      applied,
      givenBack,
      inv,
      event('evt_cv_f', 'invoice.finalized', FEB, inv),
      event('evt_cbtcv1', 'billing.credit_balance_transaction.created', FEB, applied),
      event('evt_cv_v', 'invoice.voided', VOIDED, inv),
      event('evt_cbtcv2', 'billing.credit_balance_transaction.created', VOIDED, givenBack),
    ],
  });
}

export const CREDIT_SCENARIOS: readonly Scenario[] = scenarios;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const s of scenarios) {
    const dir = join(here, s.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'input.jsonl'), s.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(s.settings, null, 2) + '\n');
    if (s.through) writeFileSync(join(dir, 'scenario.json'), JSON.stringify({ through: s.through }, null, 2) + '\n');
  }
  console.log(`wrote ${scenarios.length} scenarios`);
}
