#!/usr/bin/env node
// Compiles the TypeScript that `accrue` runs (backend/ and shared/, tests excluded) to JavaScript
// in dist/, one .js file per .ts file, so a command starts without transpiling anything.
//
// `npm ci` / `npm install` run this through the `prepare` script; `node bin/build.js` runs it by
// hand. bin/accrue.js calls `ensureBuilt` at every start: dist/manifest.json records the size and
// modification time of every source file compiled, and when any source file was added, removed or
// changed since, it compiles again before running (about a second), so an edited checkout never
// runs old code. Only changed outputs are rewritten, each by rename, so a running process and a
// concurrent build never see a half-written file.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The folders compiled; everything `accrue` imports lives here. */
const SOURCE_DIRS = ['backend', 'shared'];
const OUT_DIR = 'dist';
const MANIFEST = 'manifest.json';
/** Bumped when the output layout or the esbuild options change, so an old dist/ is rebuilt. */
const FORMAT = 1;

function isSource(name) {
  return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts');
}

/** Every source file compiled, as root-relative paths with '/' separators, and its [mtime, size]. */
function sourceStats(root) {
  const files = {};
  const walk = (dir) => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(rel);
      } else if (isSource(e.name)) {
        const s = statSync(join(root, rel));
        files[rel] = [s.mtimeMs, s.size];
      }
    }
  };
  for (const d of SOURCE_DIRS) walk(d);
  return files;
}

function readManifest(root) {
  try {
    return JSON.parse(readFileSync(join(root, OUT_DIR, MANIFEST), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The source files that differ from the last build (all of them when there is none). */
export function staleSources(root = ROOT) {
  const now = sourceStats(root);
  const m = readManifest(root);
  if (!m || m.format !== FORMAT || !m.files) return Object.keys(now);
  const changed = Object.keys(now).filter((f) => {
    const was = m.files[f];
    return !was || was[0] !== now[f][0] || was[1] !== now[f][1];
  });
  const removed = Object.keys(m.files).filter((f) => !(f in now));
  return [...changed, ...removed];
}

/** Writes a file by rename, and only when its content changed. */
function writeIfChanged(path, contents) {
  try {
    if (Buffer.compare(readFileSync(path), Buffer.from(contents)) === 0) return false;
  } catch {
    /* not there yet */
  }
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
  return true;
}

/** Removes compiled files whose source file is gone, so nothing can import them by mistake. */
function pruneOutputs(dir, keep) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) pruneOutputs(path, keep);
    else if (/\.js(\.map)?$/.test(e.name) && !keep.has(path)) rmSync(path, { force: true });
  }
}

/**
 * Relative imports keep pointing at the sibling output file (`./x.ts` becomes `./x.js`); packages
 * stay imports of node_modules. Each source file is its own entry point, so nothing is bundled and
 * a lazy `await import()` stays lazy.
 */
const keepImports = {
  name: 'keep-imports',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.kind === 'entry-point' ? undefined : { path: args.path.replace(/\.tsx?$/, '.js'), external: true },
    );
  },
};

/** Compiles every source file into dist/; returns the number of output files rewritten. */
export async function build(root = ROOT) {
  const { build: esbuild, version } = await import('esbuild');
  const stats = sourceStats(root); // taken before compiling: an edit during the build shows next start
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints: Object.keys(stats),
    outdir: join(root, OUT_DIR),
    outbase: root,
    bundle: true,
    packages: 'external',
    plugins: [keepImports],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    jsx: 'automatic',
    write: false,
    logLevel: 'silent',
  });
  let written = 0;
  for (const f of result.outputFiles) if (writeIfChanged(f.path, f.contents)) written++;
  const outDir = join(root, OUT_DIR);
  const outputs = new Set(result.outputFiles.map((f) => f.path));
  if ([...outputs].every((p) => p.startsWith(outDir + sep))) pruneOutputs(outDir, outputs);
  const manifest = { format: FORMAT, esbuild: version, files: stats };
  writeIfChanged(join(root, OUT_DIR, MANIFEST), `${JSON.stringify(manifest)}\n`);
  return written;
}

/** The compiled file for a source path such as `backend/cli/main.ts`. */
export function outputFor(source, root = ROOT) {
  return pathToFileURL(join(root, OUT_DIR, source.replace(/\.tsx?$/, '.js'))).href;
}

/** Compiles when any source changed since the last build; returns the compiled entry's URL. */
export async function ensureBuilt(source, root = ROOT) {
  if (staleSources(root).length) await build(root);
  return outputFor(source, root);
}

export function formatError(e) {
  if (!e?.errors?.length) return String(e?.stack ?? e);
  return e.errors
    .map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text))
    .join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  try {
    const written = await build();
    const ms = Math.round(performance.now() - started);
    console.log(`accrue: compiled ${SOURCE_DIRS.join(', ')} to ${OUT_DIR}${sep} (${written} files updated, ${ms} ms)`);
  } catch (e) {
    console.error(`accrue: build failed:\n${formatError(e)}`);
    process.exitCode = 1;
  }
}
