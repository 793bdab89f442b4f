/**
 * `accrue --help` must start at once: the CLI imports a command's code when the command runs, so
 * listing the commands loads no server, engine, database driver or QuickBooks client. This runs
 * the real entry point (bin/accrue.js, the compiled CLI) in a child process with a module hook
 * that records every module it loads, and fails if a heavy one is among them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'accrue-cold-'));
writeFileSync(
  join(dir, 'hooks.mjs'),
  `export async function resolve(s, c, next) { const r = await next(s, c); process._rawDebug('LOADED ' + r.url); return r; }\n`,
);
writeFileSync(
  join(dir, 'register.mjs'),
  `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
);

/** The modules (file URLs) that `node bin/accrue.js …args` loads, and its exit status. */
function loadedBy(args: string[]): { status: number | null; modules: string[] } {
  const r = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(join(dir, 'register.mjs')).href, resolve('bin/accrue.js'), ...args],
    { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  const modules = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('LOADED '))
    .map((l) => l.slice('LOADED '.length));
  return { status: r.status, modules };
}

/** Modules `--help` must not load: each costs tens of milliseconds or more at start. */
const HEAVY = [
  /node_modules\/(pg|pg-boss|kysely|express|zod|pino|node-quickbooks|stripe)\//,
  /\/shared\/engine\//,
  /\/backend\/(app|db|http|jobs|ledger|stripe|qbo|sandbox)\//,
];

describe('accrue --help', () => {
  it('loads none of the server, engine, database or QuickBooks modules', () => {
    const { status, modules } = loadedBy(['--help']);
    expect(status).toBe(0);
    expect(modules.some((m) => m.includes('/cli/main.'))).toBe(true); // the hook saw the CLI
    expect(modules.filter((m) => HEAVY.some((h) => h.test(m)))).toEqual([]);
  });

  it('loads them when a command runs (the hook sees lazy imports)', () => {
    // Refused on the account id (exit 2), after importing the tenant code; no database is opened.
    const { status, modules } = loadedBy(['import', 'journal', 'none.csv', '--tenant', 'nope']);
    expect(status).toBe(2);
    expect(modules.some((m) => /\/backend\/ledger\/tenants\./.test(m))).toBe(true);
  });
});
