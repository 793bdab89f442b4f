// Proves that real accounting tools accept our exports as balanced books: `hledger check
// --strict` passes on the hledger export and `hledger bal` equals our trialBalance account by
// account and currency at every period end; `bean-check` passes on the beancount export and its
// balances (bean-query) equal the trial balance too. It also proves the checks can fail: an
// export of an unbalanced ledger is rejected by both tools.
//
// The tools come from Debian packages. Install (and put in CI):
//   apt-get update && apt-get install -y hledger beancount
// When a tool is missing the tests skip locally, and FAIL under CI (process.env.CI set).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { minor, normalizeCurrency, parseMajor } from '../../shared/money.ts';
import { parseCsv } from '../../shared/reports/csv.ts';
import { randomLedger } from '../../shared/reports/fixtures/random-ledger.ts';
import { sampleLedger } from '../../shared/reports/fixtures/sample-ledger.ts';
import { trialBalance } from '../../shared/reports/trial-balance.ts';
import { beancountAccountNames, toBeancountJournal } from '../../backend/exports/beancount.ts';
import { hledgerAccountNames, toHledgerJournal } from '../../backend/exports/hledger.ts';

const LEDGER_TOOLS_INSTALL = 'apt-get update && apt-get install -y hledger beancount';
/** A tool run on a 20-entry file takes well under a second; 20 s only guards against a hang. */
const TOOL_TIMEOUT_MS = 20_000;

function installed(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
  return r.status === 0;
}

const hasHledger = installed('hledger');
const hasBeancount = installed('bean-check') && installed('bean-query');
const inCi = Boolean(process.env.CI);
/** Seed of the random ledger (SEED=… replays a failure); entries enough to meet every kind and hostile name. */
const RANDOM_SEED = Number(process.env.SEED ?? 20260131);
const RANDOM_ENTRIES = 300;

/** Fails loudly under CI when a tool is missing; otherwise the suite is skipped (see describe.skipIf). */
function requireTool(present: boolean, name: string): void {
  if (!present) throw new Error(`${name} is not installed; CI must install it with: ${LEDGER_TOOLS_INSTALL}`);
}

function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Non-zero trial-balance balances keyed by exported account name and upper-case currency. */
function expectedBalances(
  lines: LedgerLine[],
  names: Map<string, string>,
  throughPeriod?: string,
): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const r of trialBalance(lines, { throughPeriod }).rows) {
    if (r.balance === 0n) continue;
    out.set(`${names.get(`${r.role}\u0000${r.account}`)}|${r.currency.toUpperCase()}`, r.balance);
  }
  return out;
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'accrue-exports-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The ledger with one line's amount changed, so one entry no longer balances. */
function unbalancedLedger(): LedgerLine[] {
  return sampleLedger().map((l) =>
    l.entryId === 'je_09' && l.role === 'bank' ? { ...l, amountMinor: minor(l.amountMinor + 1n) } : l,
  );
}

describe.skipIf(!hasHledger && !inCi)('hledger accepts the hledger export', () => {
  it('passes hledger check --strict', () => {
    requireTool(hasHledger, 'hledger');
    const file = join(dir, 'sample.journal');
    writeFileSync(file, toHledgerJournal(sampleLedger()));
    const r = run('hledger', ['-f', file, 'check', '--strict']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('hledger bal equals trialBalance at every period end', () => {
    requireTool(hasHledger, 'hledger');
    const lines = sampleLedger();
    const file = join(dir, 'balances.journal');
    writeFileSync(file, toHledgerJournal(lines));
    const names = hledgerAccountNames(lines);
    const ends: [string | undefined, string[]][] = [
      ['2026-01', ['-e', '2026-02-01']],
      ['2026-02', ['-e', '2026-03-01']],
      [undefined, []],
    ];
    for (const [through, dateArgs] of ends) {
      const csv = execFileSync(
        'hledger',
        ['-f', file, 'bal', '-O', 'csv', '--layout=bare', '--no-total', ...dateArgs],
        { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS },
      );
      const actual = new Map<string, bigint>();
      for (const [account, commodity, balance] of parseCsv(csv).slice(1) as [string, string, string][]) {
        const minor = parseMajor(balance, normalizeCurrency(commodity));
        if (minor !== 0n) actual.set(`${account}|${commodity}`, minor);
      }
      const expected = expectedBalances(lines, names, through);
      expect(expected.size).toBeGreaterThan(5);
      expect(actual).toEqual(expected);
    }
  });

  it(`accepts a random ledger with hostile account names and matches its trial balance (SEED=${RANDOM_SEED})`, () => {
    requireTool(hasHledger, 'hledger');
    const lines = randomLedger(RANDOM_SEED, RANDOM_ENTRIES);
    const file = join(dir, 'random.journal');
    writeFileSync(file, toHledgerJournal(lines));
    const check = run('hledger', ['-f', file, 'check', '--strict']);
    expect(check.stderr, `SEED=${RANDOM_SEED}`).toBe('');
    const csv = execFileSync('hledger', ['-f', file, 'bal', '-O', 'csv', '--layout=bare', '--no-total'], {
      encoding: 'utf8',
      timeout: TOOL_TIMEOUT_MS,
    });
    const actual = new Map<string, bigint>();
    for (const [account, commodity, balance] of parseCsv(csv).slice(1) as [string, string, string][]) {
      const minor = parseMajor(balance, normalizeCurrency(commodity));
      if (minor !== 0n) actual.set(`${account}|${commodity}`, minor);
    }
    expect(actual, `SEED=${RANDOM_SEED}`).toEqual(expectedBalances(lines, hledgerAccountNames(lines)));
  });

  it('rejects the export of an unbalanced ledger (the check can fail)', () => {
    requireTool(hasHledger, 'hledger');
    const file = join(dir, 'unbalanced.journal');
    writeFileSync(file, toHledgerJournal(unbalancedLedger()));
    const r = run('hledger', ['-f', file, 'check']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/could not balance/);
  });
});

describe.skipIf(!hasBeancount && !inCi)('beancount accepts the beancount export', () => {
  it('passes bean-check', () => {
    requireTool(hasBeancount, 'bean-check');
    const file = join(dir, 'sample.beancount');
    writeFileSync(file, toBeancountJournal(sampleLedger()));
    const r = run('bean-check', [file]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('bean-query balances equal trialBalance', () => {
    requireTool(hasBeancount, 'bean-query');
    const lines = sampleLedger();
    const file = join(dir, 'balances.beancount');
    writeFileSync(file, toBeancountJournal(lines));
    const csv = execFileSync(
      'bean-query',
      ['-f', 'csv', file, 'SELECT account, currency, sum(number) AS total GROUP BY account, currency'],
      {
        encoding: 'utf8',
        timeout: TOOL_TIMEOUT_MS,
      },
    );
    const actual = new Map<string, bigint>();
    for (const row of parseCsv(csv).slice(1)) {
      const [account, currency, total] = row.map((c) => c.trim()) as [string, string, string];
      if (!account) continue;
      const minor = parseMajor(total, normalizeCurrency(currency));
      if (minor !== 0n) actual.set(`${account}|${currency}`, minor);
    }
    expect(actual).toEqual(expectedBalances(lines, beancountAccountNames(lines)));
  });

  it(`accepts a random ledger with hostile account names (SEED=${RANDOM_SEED})`, () => {
    requireTool(hasBeancount, 'bean-check');
    const file = join(dir, 'random.beancount');
    writeFileSync(file, toBeancountJournal(randomLedger(RANDOM_SEED, RANDOM_ENTRIES)));
    const r = run('bean-check', [file]);
    expect(r.stdout + r.stderr, `SEED=${RANDOM_SEED}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('rejects the export of an unbalanced ledger (the check can fail)', () => {
    requireTool(hasBeancount, 'bean-check');
    const file = join(dir, 'unbalanced.beancount');
    writeFileSync(file, toBeancountJournal(unbalancedLedger()));
    const r = run('bean-check', [file]);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/does not balance/i);
  });
});
