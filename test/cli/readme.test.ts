/**
 * Proves the README's command lines: every `npx accrue …` line in it names a real command, and the
 * commands meant for the demo work as written on the demo's own data. The demo runs (a small
 * business over the README's 18 months, on an embedded PostgreSQL in a folder of its own); the
 * block "After the demo: its books" holds its folder and every command the demo suggests; each of
 * its commands runs from there exactly as the README writes it (`export ACCRUE_DATA_DIR=.accrue/demo`
 * included), then the "Using it" lines written for the demo's tenant (with the repository's
 * example files), each succeeding with nothing on stderr.
 */
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoCommands } from '../../backend/cli/demo.ts';
import { allCommands, main } from '../../backend/cli/main.ts';
import { runDemo } from '../../backend/demo/demo.ts';
import { createLogger } from '../../backend/log/logger.ts';

/** Read once, from the repository's folder (the test later runs from the demo's). */
const README = readFileSync('README.md', 'utf8');

interface Line {
  /** The README section the line is in. */
  section: string;
  /** The line as written, without its comment. */
  text: string;
}

/** The command lines of the README's shell blocks, by section. */
function readmeLines(): Line[] {
  const lines: Line[] = [];
  let section = '';
  let inBlock = false;
  for (const raw of README.split('\n')) {
    if (raw.startsWith('## ')) section = raw.slice(3).trim();
    else if (raw.startsWith('```')) inBlock = !inBlock && /^```(sh|text)$/.test(raw);
    else if (inBlock) lines.push({ section, text: raw.replace(/\s+#\s.*$/, '').trim() });
  }
  return lines.filter((l) => l.text !== '');
}

/** Splits a shell line into words, honouring double quotes (all the README uses). */
function words(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

const accrueArgs = (l: Line) => words(l.text).slice(2);

/** Runs a README line's accrue command in-process: exit 0, nothing on stderr, and output (or a file). */
async function succeeds(l: Line): Promise<void> {
  let out = '';
  let err = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(accrueArgs(l), { out: (s) => void (out += s), err: (s) => void (err += s) });
  } finally {
    process.stdout.write = write;
  }
  expect(err, l.text).toBe('');
  expect(code, `${l.text}: ${err}`).toBe(0);
  // A command with --out writes a file (checked by the caller) instead of printing.
  if (!accrueArgs(l).includes('--out')) expect(out.trim().length, l.text).toBeGreaterThan(0);
}

describe('README', () => {
  it('names only real commands', () => {
    const known = new Set(allCommands().map((c) => c.name));
    const lines = readmeLines().filter((l) => l.text.startsWith('npx accrue '));
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) {
      const [name] = accrueArgs(l);
      if (name !== '--help') expect(known.has(name!), l.text).toBe(true);
    }
  });

  it('runs every command of "After the demo", then those of "Using it" on the demo, as written', async () => {
    const block = readmeLines().filter((l) => l.section.startsWith('After the demo') && !l.text.startsWith('set '));
    const commands = block.filter((l) => l.text.startsWith('npx accrue '));
    const serveBlock = commands.findIndex((l) => ['sync', 'reconcile', 'backfill'].includes(accrueArgs(l)[0]!));
    // The first block (up to the serve block) runs on the demo's books alone.
    const offline = serveBlock < 0 ? commands : commands.slice(0, serveBlock);
    expect(offline.length).toBeGreaterThan(8);

    const home = mkdtempSync(join(tmpdir(), 'accrue-readme-'));
    chmodSync(home, 0o755);
    const cwd = process.cwd();
    const saved = { ...process.env };
    try {
      process.chdir(home);
      // The README's demo has no DATABASE_URL: its books are the embedded server in .accrue/demo.
      delete process.env.DATABASE_URL;
      process.env.LOG_LEVEL = 'silent';
      const r = await runDemo({
        dataDir: join(home, '.accrue'),
        log: createLogger('silent'),
        out: () => undefined,
        customers: 6,
        months: 18,
      });
      // The README's block is what the demo suggests: its folder, its tenant, its commands and more.
      const exported = block.find((l) => l.text.startsWith('export '))!.text.slice('export '.length);
      const [key, value] = exported.split('=') as [string, string];
      expect(r.env).toEqual({ [key]: value });
      for (const suggested of demoCommands(r.tenant))
        expect(
          offline.some((l) => l.text.startsWith(suggested)),
          `README shows: ${suggested}`,
        ).toBe(true);
      process.env[key] = value;
      for (const l of offline) await succeeds(l);
      expect(existsSync(join(home, 'books.journal'))).toBe(true);

      // Then the block "On the demo's books", with the repository's example files.
      cpSync(join(cwd, 'docs', 'examples'), join(home, 'docs', 'examples'), { recursive: true });
      const onDemo = readmeLines().filter(
        (l) =>
          l.section === 'Using it' && l.text.startsWith('npx accrue ') && l.text.includes('acct_1SampleBusiness00'),
      );
      expect(onDemo.length).toBeGreaterThanOrEqual(3);
      for (const l of onDemo) await succeeds(l);
    } finally {
      process.chdir(cwd);
      process.env = saved;
    }
  }, 900_000);
});
