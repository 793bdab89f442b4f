// Proves, on the golden scenarios of a Connect platform's transfers: under `connect_revenue =
// agent` (the default) the platform's revenue is what it keeps and the connected account's share
// is owed to it until transferred; under `gross` the charge is revenue and the transfer a cost;
// both give the same profit and cash. A refund is matched to the transfer reversal it made, with
// or without the application fee refunded, under both settings. Bad input (a transfer to an
// unknown account, an application fee larger than its charge, a balance transaction that matches
// nothing) is an exception naming the ids, booked to unmatched cash, never to FX, never lost.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROLE_INFO, type AccountRole } from '../../shared/accounts.ts';
import { runEngine } from '../../shared/engine/index.ts';
import type { EntryDraft } from '../../shared/journal.ts';
import { TenantSettingsSchema } from '../../shared/settings.ts';
import { collectScenarioFacts } from './run.ts';

const here = dirname(fileURLToPath(import.meta.url));

type Line = Record<string, unknown>;

function inputOf(name: string): Line[] {
  return readFileSync(join(here, name, 'input.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);
}

async function books(
  name: string,
  options: { change?: (lines: Line[]) => Line[]; settings?: Record<string, unknown> } = {},
): Promise<{ entries: EntryDraft[]; exceptions: string[] }> {
  const dir = join(here, name);
  const lines = (options.change ?? ((l) => l))(inputOf(name));
  const own = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as Record<string, unknown>;
  const settings = TenantSettingsSchema.parse({ ...own, ...options.settings });
  const scenario = join(dir, 'scenario.json');
  const through = existsSync(scenario)
    ? (JSON.parse(readFileSync(scenario, 'utf8')) as { through: string }).through
    : '2026-12-31';
  const { facts, exceptions } = await collectScenarioFacts(lines);
  const result = runEngine({ settings, facts, through });
  return {
    entries: result.entries,
    exceptions: [...exceptions.map((e) => e.reason), ...result.exceptions.map((e) => e.reason)],
  };
}

/** Net amount per role over the whole journal (debit > 0). */
function byRole(entries: EntryDraft[]): Partial<Record<AccountRole, bigint>> {
  const out: Partial<Record<AccountRole, bigint>> = {};
  for (const e of entries) for (const l of e.lines) out[l.role] = (out[l.role] ?? 0n) + l.amountMinor;
  return out;
}

/** Profit: minus the net of every income-statement role (income credits are negative). */
function profit(entries: EntryDraft[]): bigint {
  let net = 0n;
  for (const e of entries)
    for (const l of e.lines) {
      const kind = ROLE_INFO[l.role].kind;
      if (kind !== 'asset' && kind !== 'liability' && kind !== 'contra_liability') net += l.amountMinor;
    }
  return -net;
}

/** Drops the events of the given types (the same objects, a different story). */
const without =
  (...types: string[]) =>
  (lines: Line[]): Line[] =>
    lines.filter((l) => l.object !== 'event' || !types.includes(l.type as string));

/** Replaces text in every line's JSON. */
const edited =
  (...pairs: [string, string][]) =>
  (lines: Line[]): Line[] =>
    lines.map((l) => {
      let text = JSON.stringify(l);
      for (const [from, to] of pairs) text = text.replaceAll(from, to);
      return JSON.parse(text) as Line;
    });

const GROSS = { settings: { connect_revenue: 'gross' } };

/** No transfer reversal at all: neither its event nor the reversal on the stored transfer. */
const withoutReversal = (lines: Line[]): Line[] =>
  without('transfer.reversed')(lines).map((l) =>
    l.object === 'transfer'
      ? { ...l, amount_reversed: 0, reversed: false, reversals: { ...(l.reversals as Line), data: [], total_count: 0 } }
      : l,
  );

describe('separate charges and transfers', () => {
  it('agent: the transfer takes its amount out of revenue and settles what is owed to the connected account', async () => {
    const { entries, exceptions } = await books('connect-separate-charge-transfer');
    const roles = byRole(entries);
    expect(roles.revenue).toBe(-3000n);
    expect(roles.connected_payable ?? 0n).toBe(0n);
    expect(roles.connect_transfers).toBeUndefined();
    expect(roles.fx_gain_loss).toBeUndefined();
    expect(exceptions).toEqual([]);
  });

  it('gross: the charge is revenue and the transfer a cost, with the same profit and cash', async () => {
    const agent = await books('connect-separate-charge-transfer');
    const gross = await books('connect-separate-charge-transfer', GROSS);
    const roles = byRole(gross.entries);
    expect(roles.revenue).toBe(-10000n);
    expect(roles.connect_transfers).toBe(7000n);
    expect(roles.connected_payable).toBeUndefined();
    expect(profit(gross.entries)).toBe(profit(agent.entries));
    expect(roles.cash_clearing).toBe(byRole(agent.entries).cash_clearing);
    expect(gross.exceptions).toEqual([]);
  });

  it('a transfer that names no charge of ours is a cost under either setting', async () => {
    const standalone = edited(['"source_transaction":"ch_sep"', '"source_transaction":null']);
    for (const options of [{}, GROSS]) {
      const { entries, exceptions } = await books('connect-separate-charge-transfer', {
        ...options,
        change: standalone,
      });
      expect(byRole(entries).connect_transfers).toBe(7000n);
      expect(exceptions).toEqual([]);
    }
  });
});

describe('destination charges, agent or gross', () => {
  it("the issue's shape (the platform's balance transaction is what it keeps): 10.00 of revenue for an invoice and a bare charge under agent", async () => {
    for (const name of ['connect-destination-charge-invoice', 'connect-destination-charge-one-time']) {
      const { entries, exceptions } = await books(name, { settings: { connect_revenue: 'agent' } });
      const roles = byRole(entries);
      expect(roles.revenue, name).toBe(-1000n);
      expect(roles.connected_payable ?? 0n, name).toBe(0n);
      expect(roles.fx_gain_loss, name).toBeUndefined();
      expect(exceptions, name).toEqual([]);
    }
  });

  it("Stripe's shape: agent revenue is the application fee, gross revenue the charge; same profit and cash", async () => {
    const agent = await books('connect-destination-charge-agent');
    const gross = await books('connect-destination-charge-gross');
    const a = byRole(agent.entries);
    const g = byRole(gross.entries);
    expect([a.revenue, a.application_fees, a.connected_payable, a.connect_transfers]).toEqual([
      undefined,
      -1000n,
      0n,
      undefined,
    ]);
    expect([g.revenue, g.application_fees, g.connected_payable, g.connect_transfers]).toEqual([
      -5000n,
      undefined,
      undefined,
      4000n,
    ]);
    expect(profit(agent.entries)).toBe(1000n - 175n);
    expect(profit(gross.entries)).toBe(profit(agent.entries));
    expect(a.cash_clearing).toBe(g.cash_clearing);
    expect([...agent.exceptions, ...gross.exceptions]).toEqual([]);
  });

  it('the agent default is the policy: the same inputs without the setting book as agent', async () => {
    const explicit = await books('connect-destination-charge-agent', { settings: { connect_revenue: 'agent' } });
    expect((await books('connect-destination-charge-agent')).entries).toEqual(explicit.entries);
  });
});

describe('a destination charge refunded', () => {
  const cases: [string, ((lines: Line[]) => Line[]) | undefined, bigint, bigint][] = [
    // name, change, application fees kept, profit (Stripe fee 1.75 always lost)
    ['transfer reversed and application fee refunded', undefined, 0n, -175n],
    ['transfer reversed, application fee kept', without('application_fee.refunded'), -1000n, 1000n - 175n],
    [
      'neither: the platform bears the refund',
      (lines) => withoutReversal(without('application_fee.refunded')(lines)),
      -1000n,
      -4000n - 175n,
    ],
  ];
  for (const [story, change, fees, expected] of cases) {
    it(`${story}: the right books under agent and gross, nothing owed, no FX`, async () => {
      const agent = await books('connect-destination-charge-refund', { change });
      const gross = await books('connect-destination-charge-refund-gross', { change });
      const a = byRole(agent.entries);
      expect(a.application_fees ?? 0n).toBe(fees);
      expect(a.connected_payable ?? 0n).toBe(0n);
      expect(profit(agent.entries)).toBe(expected);
      expect(profit(gross.entries)).toBe(expected);
      expect(a.cash_clearing).toBe(byRole(gross.entries).cash_clearing);
      for (const b of [agent, gross]) {
        expect(byRole(b.entries).fx_gain_loss).toBeUndefined();
        expect(b.exceptions).toEqual([]);
      }
    });
  }

  it('the refund is matched to its reversal: without the reversal the connected share is a cost under agent', async () => {
    const { entries } = await books('connect-destination-charge-refund', { change: withoutReversal });
    expect(byRole(entries).connect_transfers).toBe(5000n);
    const matched = await books('connect-destination-charge-refund');
    expect(byRole(matched.entries).connect_transfers).toBeUndefined();
  });
});

describe('bad input: an exception naming the ids, unmatched cash, never FX, nothing lost', () => {
  async function expectUnmatched(
    name: string,
    change: (lines: Line[]) => Line[],
    amount: bigint,
    words: string[],
    cashShift = 0n,
  ): Promise<void> {
    for (const options of [{}, GROSS]) {
      const { entries, exceptions } = await books(name, { ...options, change });
      const roles = byRole(entries);
      expect(roles.unmatched_cash).toBe(amount);
      expect(roles.fx_gain_loss).toBeUndefined();
      const hit = exceptions.find((e) => words.every((w) => e.includes(w)));
      expect(hit, `an exception with ${words.join(', ')} among ${exceptions.join(' | ')}`).toBeDefined();
      // Nothing lost: the Stripe balance moved exactly as Stripe's balance transactions say.
      const good = await books(name, options);
      expect(roles.cash_clearing).toBe(byRole(good.entries).cash_clearing! + cashShift);
    }
  }

  /** Edits only the transfer (as stored and in its events). */
  const inTransfer =
    (...pairs: [string, string][]) =>
    (lines: Line[]): Line[] =>
      lines.map((l) => {
        const isTransfer = l.object === 'transfer' || (l.object === 'event' && String(l.type).startsWith('transfer.'));
        return isTransfer ? edited(...pairs)([l])[0]! : l;
      });

  it('a transfer that names no connected account', async () => {
    const noDestination = inTransfer(['"destination":"acct_seller"', '"destination":null']);
    await expectUnmatched('connect-destination-charge-agent', noDestination, 5000n, [
      'tr_dest2',
      'names no connected account',
      'unmatched_cash',
    ]);
  });

  it('a transfer to an account its destination charge does not name', async () => {
    const other = inTransfer(['"destination":"acct_seller"', '"destination":"acct_stranger"']);
    await expectUnmatched('connect-destination-charge-agent', other, 5000n, [
      'tr_dest2',
      'acct_stranger',
      'acct_seller',
    ]);
  });

  it('an application fee larger than its charge', async () => {
    const tooLarge = edited(
      ['"amount":1000,"amount_refunded"', '"amount":6000,"amount_refunded"'],
      [
        '"id":"txn_fee_dest2","object":"balance_transaction","amount":1000',
        '"id":"txn_fee_dest2","object":"balance_transaction","amount":6000',
      ],
    );
    await expectUnmatched(
      'connect-destination-charge-agent',
      tooLarge,
      -6000n,
      ['fee_dest2', 'larger than its charge', 'ch_dest2'],
      5000n,
    );
  });

  it('a transfer whose balance transaction matches nothing', async () => {
    const off = edited([
      '"id":"txn_tr_dest2","object":"balance_transaction","amount":-5000',
      '"id":"txn_tr_dest2","object":"balance_transaction","amount":-5100',
    ]);
    await expectUnmatched(
      'connect-destination-charge-agent',
      off,
      100n,
      ['tr_dest2', 'txn_tr_dest2', '1.00', 'unmatched_cash'],
      -100n,
    );
  });
});
