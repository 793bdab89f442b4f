// Proves, over random platforms' streams — destination charges (the whole amount transferred, the
// application fee collected back) and separate charges and transfers, refunded in part or in full,
// with or without the transfer reversed and the fee refunded, with or without a transfer whose
// balance transaction matches nothing — that `connect_revenue = agent` and `gross` give the same
// profit and the same Stripe balance; that under agent nothing stays owed to connected accounts
// once transfers and reversals are booked; that exchange gain or loss never moves in one currency;
// and that every amount booked to unmatched cash is named by an exception.
import fc from 'fast-check';
import { ROLE_INFO, type AccountRole } from '../accounts.ts';
import { allocate, currency as currencyOf } from '../money.ts';
import { TenantSettingsSchema } from '../settings.ts';
import { startOfDay } from '../time.ts';
import type { EntryDraft } from '../journal.ts';
import type { BalanceTxnFact, Fact } from './facts.ts';
import { runEngine } from './index.ts';

const T0 = startOfDay('2026-01-01', 'UTC');
const DAY = 86_400;
const USD = currencyOf('usd');

interface Stream {
  kind: 'destination' | 'separate';
  amount: number;
  feePct: number;
  transferPct: number;
  refundPct: number;
  reverse: boolean;
  refundFee: boolean;
  gap: number;
}

const streamArb: fc.Arbitrary<Stream> = fc.record({
  kind: fc.constantFrom<Stream['kind']>('destination', 'separate'),
  amount: fc.integer({ min: 100, max: 1_000_000 }),
  feePct: fc.integer({ min: 0, max: 50 }),
  transferPct: fc.integer({ min: 1, max: 100 }),
  refundPct: fc.integer({ min: 0, max: 100 }),
  reverse: fc.boolean(),
  refundFee: fc.boolean(),
  gap: fc.constantFrom(0, 0, 0, 1, -7, 250),
});

function txn(id: string, amountMinor: bigint, created: number, feeMinor = 0n): BalanceTxnFact {
  return { id, amountMinor, feeMinor, currency: USD, exchangeRate: null, created };
}

const pct = (v: bigint, p: number): bigint => (v * BigInt(p)) / 100n;

function streamFacts(s: Stream, n: number): Fact[] {
  const at = T0 + n * 3 * DAY;
  const [ch, tr, fee, re] = [`ch_${n}`, `tr_${n}`, `fee_${n}`, `re_${n}`];
  const amount = BigInt(s.amount);
  const appFee = s.kind === 'destination' ? pct(amount, s.feePct) : 0n;
  const sent = s.kind === 'destination' ? amount : pct(amount, s.transferPct) || 1n;
  const refund = pct(amount, s.refundPct);
  const facts: Fact[] = [
    {
      type: 'charge',
      charge: ch,
      customer: 'cus_1',
      amountMinor: amount,
      currency: USD,
      at,
      balanceTransaction: txn(`txn_${ch}`, amount, at, 30n),
      description: null,
      ...(s.kind === 'destination'
        ? {
            settlement: {
              capturedMinor: null,
              applicationFeeMinor: appFee,
              transferMinor: amount - appFee,
              transferDestination: 'acct_x',
              transferGrossMinor: amount,
              transfer: tr,
              onBehalfOf: null,
            },
          }
        : {}),
    },
    {
      type: 'transfer',
      transfer: tr,
      destination: 'acct_x',
      amountMinor: sent,
      currency: USD,
      at: at + DAY,
      balanceTransaction: txn(`txn_${tr}`, -sent - BigInt(s.gap), at + DAY),
      charge: ch,
      invoice: null,
    },
  ];
  if (appFee > 0n) {
    facts.push({
      type: 'application_fee',
      fee,
      charge: 'py_1',
      account: 'acct_x',
      amountMinor: appFee,
      currency: USD,
      balanceTransaction: txn(`txn_${fee}`, appFee, at),
      at,
      originatingCharge: ch,
      originatingAmountMinor: amount,
    });
  }
  if (refund === 0n) return facts;
  const back = at + 2 * DAY;
  facts.push({
    type: 'refund',
    refund: re,
    charge: ch,
    invoice: null,
    amountMinor: refund,
    currency: USD,
    at: back,
    balanceTransaction: txn(`txn_${re}`, -refund, back),
  });
  // Stripe reverses the transfer, and refunds the fee, in proportion to the refund.
  const reversed = allocate(sent, [refund, amount - refund])[0]!;
  if (s.reverse && reversed > 0n) {
    facts.push({
      type: 'transfer_reversal',
      reversal: `trr_${n}`,
      transfer: tr,
      charge: ch,
      invoice: null,
      amountMinor: reversed,
      currency: USD,
      at: back,
      balanceTransaction: txn(`txn_trr_${n}`, reversed, back),
      sourceRefund: re,
    });
  }
  const feeBack = allocate(appFee, [refund, amount - refund])[0]!;
  if (s.refundFee && feeBack > 0n) {
    facts.push({
      type: 'application_fee_refund',
      refund: `fr_${n}`,
      fee,
      amountMinor: feeBack,
      balanceTransaction: txn(`txn_fr_${n}`, -feeBack, back),
      at: back,
    });
  }
  return facts;
}

function net(entries: EntryDraft[], pick: (role: AccountRole) => boolean): bigint {
  let total = 0n;
  for (const e of entries) for (const l of e.lines) if (pick(l.role)) total += l.amountMinor;
  return total;
}

const onIncomeStatement = (role: AccountRole): boolean =>
  !['asset', 'liability', 'contra_liability'].includes(ROLE_INFO[role].kind);

describe('a platform under connect_revenue agent and gross', () => {
  it('gives the same profit and cash, owes nothing after the transfers, never books FX, names unmatched cash', () => {
    fc.assert(
      fc.property(fc.array(streamArb, { minLength: 1, maxLength: 4 }), (streams) => {
        const facts = streams.flatMap((s, i) => streamFacts(s, i));
        const book = (mode: 'agent' | 'gross') =>
          runEngine({ settings: TenantSettingsSchema.parse({ connect_revenue: mode }), facts, through: '2026-12-31' });
        const agent = book('agent');
        const gross = book('gross');
        expect(net(agent.entries, onIncomeStatement)).toBe(net(gross.entries, onIncomeStatement));
        const cash = (entries: EntryDraft[]) => net(entries, (r) => r === 'cash_clearing');
        expect(cash(agent.entries)).toBe(cash(gross.entries));
        expect(net(agent.entries, (r) => r === 'connected_payable')).toBe(0n);
        expect(net(gross.entries, (r) => r === 'connected_payable')).toBe(0n);
        for (const result of [agent, gross]) {
          expect(net(result.entries, (r) => r === 'fx_gain_loss')).toBe(0n);
          expect(result.entries.some((e) => e.lines.some((l) => l.role === 'fx_gain_loss'))).toBe(false);
          const unmatched = result.entries.filter((e) => e.lines.some((l) => l.role === 'unmatched_cash'));
          for (const entry of unmatched) {
            const named = result.exceptions.some((x) => entry.sources.every((id) => x.reason.includes(id)));
            expect(named, `${entry.key} is named by an exception`).toBe(true);
          }
          expect(unmatched.length).toBe(streams.filter((s) => s.gap !== 0).length);
        }
      }),
      { numRuns: 150 },
    );
  });
});
