/**
 * Proves the command line's contract: every command answers --help; unknown commands and bad
 * options are usage errors (exit 2) with a message; `accrue replay` refuses bad input with a
 * message naming the problem and a non-zero exit — malformed JSON on a numbered line, an event
 * without its object, unknown settings keys — before touching any database.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCommands, main } from '../../backend/cli/main.ts';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'accrue-cli-'));
const file = (name: string, body: string) => {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
};
const event = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'evt_1',
    object: 'event',
    type: 'invoice.finalized',
    account: 'acct_x',
    livemode: false,
    created: 1767225600,
    data: { object: { id: 'in_1', object: 'invoice' } },
    ...extra,
  });

describe('accrue', () => {
  it('lists every command and answers --help on each', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    const names = allCommands().map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'serve',
        'worker',
        'migrate',
        'replay',
        'report',
        'export',
        'backfill',
        'sync',
        'reconcile',
        'period',
        'release',
        'demo',
        'admin',
        'tenants',
      ]),
    );
    for (const name of names) {
      expect(top.out).toContain(`  ${name}`);
      const r = await run([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.out).toContain(`Usage: accrue ${name}`);
    }
  });

  it('treats unknown commands and options as usage errors', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
    const bad = await run(['report', '--colour', 'red']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/colour/);
    expect((await run(['report', 'cashflow', '--tenant', 'acct_x'])).code).toBe(2);
  });

  it('refuses bad replay input with a message and a non-zero exit', async () => {
    const out = join(dir, 'out');
    const malformed = await run([
      'replay',
      file('bad.jsonl', `${event()}\n{"object": "invoice", "id": \n`),
      '--out',
      out,
    ]);
    expect(malformed.code).toBe(2);
    expect(malformed.err).toMatch(/line 2: malformed JSON/);
    const noObject = await run(['replay', file('noobj.jsonl', `${event({ data: {} })}\n`), '--out', out]);
    expect(noObject.code).toBe(2);
    expect(noObject.err).toMatch(/evt_1 has no data.object/);
    const settings = file('settings.json', JSON.stringify({ amortisation: 'by_day' }));
    const unknownKey = await run(['replay', file('ok.jsonl', `${event()}\n`), '--out', out, '--settings', settings]);
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.err).toMatch(/unknown key\(s\) amortisation/);
    const missing = await run(['replay', join(dir, 'nope.jsonl'), '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read/);
    expect((await run(['replay', file('ok2.jsonl', `${event()}\n`)])).code).toBe(2); // --out is required
    const badThrough = await run([
      'replay',
      file('ok3.jsonl', `${event()}\n`),
      '--out',
      out,
      '--through',
      '31/01/2026',
    ]);
    expect(badThrough.code).toBe(2);
  });
});
