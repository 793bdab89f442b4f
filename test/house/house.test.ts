/**
 * The house rules a new engineer relies on, checked over the tree instead of remembered:
 * product code never imports test code, no comment cites a document outside the repo, no
 * production file or function outgrows one reading, and ARCHITECTURE's parts table names every
 * folder that holds product code. Each failure names the file and line to fix.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Lines one production file may hold: a module a reader can hold in mind at once. */
const PRODUCTION_FILE_LINES_MAX = 600;
/** Lines one production function may span: one screen, give or take. */
const PRODUCTION_FUNCTION_LINES_MAX = 100;

const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && !f.startsWith('node_modules/'));
const sources = tracked.filter((f) => /\.(ts|tsx|js|mjs)$/.test(f));

/** Product code: what ships and runs (`bin/`, `backend/`, `shared/`, `stripe-app/`, `src/`), minus tests and fixtures. */
function isProduction(file: string): boolean {
  if (!/^(bin|backend|shared|stripe-app|src)\//.test(file)) return false;
  return !/\.test\.tsx?$/.test(file) && !file.includes('/fixtures/') && !file.startsWith('stripe-app/testing/');
}

function read(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}

describe('house rules', () => {
  it('product code never imports from test/', () => {
    const offenders: string[] = [];
    const spec = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;
    for (const file of sources.filter(isProduction)) {
      for (const m of read(file).matchAll(spec)) {
        const target = relative(ROOT, resolve(ROOT, dirname(file), m[1]!));
        if (target.startsWith('test/')) offenders.push(`${file} imports ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('no file cites a document outside the repo', () => {
    // The project's research notes and policy live outside the repository; the repo's own docs
    // (docs/, ARCHITECTURE.md, READMEs) carry what the code needs, so a citation must point there.
    const outside =
      /\bqbo\.md\b|\bdeps\.md\b|stripe-apps\.md|ACCOUNTING\.md|\.\.\/shared\/(?:reference|seeds|hooks)|\bseeds\/\d|\bpolicy §/;
    const offenders: string[] = [];
    const texts = tracked.filter((f) => /\.(ts|tsx|js|mjs|md|sql)$/.test(f));
    for (const file of texts) {
      if (file.startsWith('test/house/')) continue;
      read(file)
        .split('\n')
        .forEach((line, i) => {
          if (outside.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim().slice(0, 100)}`);
        });
    }
    expect(offenders).toEqual([]);
  });

  it(`production files stay under ${PRODUCTION_FILE_LINES_MAX} lines and functions under ${PRODUCTION_FUNCTION_LINES_MAX}`, () => {
    const offenders: string[] = [];
    for (const file of sources.filter((f) => isProduction(f) && /\.tsx?$/.test(f))) {
      const text = read(file);
      const lines = text.split('\n').length;
      if (lines > PRODUCTION_FILE_LINES_MAX) offenders.push(`${file}: ${lines} lines`);
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
          const last = source.getLineAndCharacterOfPosition(node.end).line;
          if (last - first + 1 > PRODUCTION_FUNCTION_LINES_MAX)
            offenders.push(`${file}:${first + 1}: function of ${last - first + 1} lines`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(offenders).toEqual([]);
  });

  it("ARCHITECTURE's parts table names every folder that holds product code, and only existing ones", () => {
    const architecture = read('ARCHITECTURE.md');
    const table = architecture.slice(architecture.indexOf('## The parts'), architecture.indexOf('## Data flow'));
    // The second column of each row is the part's folder (`where`); paths inside the third are details.
    const wheres = table
      .split('\n')
      .filter((row) => row.startsWith('| ') && !row.startsWith('| part') && !row.startsWith('| ---'))
      .map((row) => row.split('|')[2]!.trim());
    const named = new Set(wheres.flatMap((w) => [...w.matchAll(/`([a-z-]+\/(?:[a-z-]+\/)*)`/g)].map((m) => m[1]!)));
    expect(named.size).toBeGreaterThan(10);
    const folders = new Set<string>();
    for (const file of sources.filter(isProduction)) {
      const parts = file.split('/');
      // backend/<part>/ and shared/<part>/ are the parts; stripe-app/ and src/ are one part each.
      if ((parts[0] === 'backend' || parts[0] === 'shared') && parts.length > 2)
        folders.add(`${parts[0]}/${parts[1]}/`);
      else if (parts[0] === 'stripe-app' || parts[0] === 'src') folders.add(`${parts[0]}/`);
    }
    const covered = (folder: string) => [...named].some((n) => folder.startsWith(n));
    expect([...folders].filter((f) => !covered(f)).sort()).toEqual([]);
    const existing = new Set(tracked.map((f) => f.split('/').slice(0, -1).join('/') + '/'));
    const exists = (n: string) => [...existing].some((dir) => dir.startsWith(n));
    expect([...named].filter((n) => !exists(n)).sort()).toEqual([]);
  });
  it('limits are named with the bound last (`<WHAT>_MAX`, `<WHAT>_MIN`), like every other unit', () => {
    const offenders: string[] = [];
    const misnamed = /\b(?:const|let)\s+((?:MAX|MIN)_[A-Z0-9_]+|[A-Z0-9_]+_LIMIT(?:_[A-Z]+)?)\b/;
    for (const file of sources.filter(isProduction)) {
      read(file)
        .split('\n')
        .forEach((line, i) => {
          const m = misnamed.exec(line);
          if (m) offenders.push(`${file}:${i + 1}: ${m[1]}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
