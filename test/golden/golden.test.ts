// Proves that every golden scenario (Stripe objects and events in, a hand-derived journal out)
// replays to exactly its expected.csv, to the cent, and that replaying the same events shuffled
// and duplicated gives the same journal (order and duplicate independence of mapping + engine).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replayPure, toJournalCsv, defaultThrough } from './run.ts';
import { TenantSettingsSchema } from '../../shared/settings.ts';

const here = dirname(fileURLToPath(import.meta.url));
const scenarios = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'input.jsonl')))
  .map((d) => d.name)
  .sort();

function load(name: string): { lines: unknown[]; settings: unknown; through: string | undefined; expected: string } {
  const dir = join(here, name);
  const lines = readFileSync(join(dir, 'input.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
  const settings = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as unknown;
  const scenarioFile = join(dir, 'scenario.json');
  const through = existsSync(scenarioFile)
    ? (JSON.parse(readFileSync(scenarioFile, 'utf8')) as { through?: string }).through
    : undefined;
  return { lines, settings, through, expected: readFileSync(join(dir, 'expected.csv'), 'utf8') };
}

/** A deterministic shuffle (xorshift) so a failure replays exactly; the seed is in the test name. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('golden scenarios', () => {
  it('has scenarios to run', () => {
    expect(scenarios.length).toBeGreaterThan(10);
  });
  for (const name of scenarios) {
    it(`${name}: journal matches expected.csv`, async () => {
      const { lines, settings, through, expected } = load(name);
      const csv = toJournalCsv(await replayPure(lines, settings, through), settings);
      expect(csv).toBe(expected);
    });
    it(`${name}: same journal with events shuffled and duplicated (seed 7)`, async () => {
      const { lines, settings, through, expected } = load(name);
      const objects = lines.filter((l) => (l as { object?: string }).object !== 'event');
      const events = lines.filter((l) => (l as { object?: string }).object === 'event');
      const parsed = TenantSettingsSchema.parse(settings);
      const t = through ?? defaultThrough(lines, parsed);
      const replay = [...objects, ...shuffled([...events, ...events], 7)];
      expect(toJournalCsv(await replayPure(replay, settings, t), settings)).toBe(expected);
    });
  }
});
