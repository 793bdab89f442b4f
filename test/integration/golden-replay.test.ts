/**
 * Runs every golden scenario through `accrue replay`'s real path — signed webhook deliveries, the
 * inbox, the Stripe API fake, the processing workers, PostgreSQL, the period release — and checks
 * that journal.csv equals the scenario's hand-checked expected.csv, line for line. (golden.test.ts
 * checks the same files against the pure engine; together they prove the database pipeline adds
 * and loses nothing.)
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { replay } from '../../backend/app/replay.ts';
import { createLogger } from '../../backend/log/logger.ts';
import { parseCsv } from '../../shared/reports/index.ts';

const GOLDEN = join(import.meta.dirname, '..', 'golden');
const scenarios = readdirSync(GOLDEN, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(GOLDEN, d.name, 'expected.csv')))
  .map((d) => d.name)
  .sort();

/** Rows in a canonical order: by posting date and entry id, lines of an entry in their own order. */
function canonical(csv: string): string[][] {
  const [header, ...rows] = parseCsv(csv.replace(/\r\n/g, '\n')).filter((r) => r.length > 1);
  const indexed = rows.map((r, i) => ({ r, i }));
  indexed.sort((a, b) =>
    a.r[1]! < b.r[1]! ? -1 : a.r[1]! > b.r[1]! ? 1 : a.r[2]! < b.r[2]! ? -1 : a.r[2]! > b.r[2]! ? 1 : a.i - b.i,
  );
  return [header!, ...indexed.map((x) => x.r)];
}

describe('golden scenarios through accrue replay', () => {
  it('has scenarios', () => expect(scenarios.length).toBeGreaterThan(10));
  for (const name of scenarios) {
    it(name, async () => {
      const dir = join(GOLDEN, name);
      const scenario = existsSync(join(dir, 'scenario.json'))
        ? (JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as { through?: string })
        : {};
      const out = mkdtempSync(join(tmpdir(), `replay-${name}-`));
      const r = await replay({
        input: join(dir, 'input.jsonl'),
        out,
        through: scenario.through,
        settingsFile: join(dir, 'settings.json'),
        log: createLogger('silent'),
        databaseUrl: inject('adminDatabaseUrl'),
      });
      expect(r.failed).toBe(0);
      const journal = readFileSync(join(out, 'journal.csv'), 'utf8');
      expect(canonical(journal)).toEqual(canonical(readFileSync(join(dir, 'expected.csv'), 'utf8')));
      for (const f of ['rollforward.csv', 'waterfall.csv', 'trial_balance.csv'])
        expect(existsSync(join(out, f))).toBe(true);
    });
  }
});
