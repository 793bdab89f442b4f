#!/usr/bin/env node
// The `accrue` command: runs the compiled CLI from dist/ (see build.js). When a source file changed
// since the last build — or there is none yet — it compiles first, so what runs is always the code
// in the checkout.
import { ensureBuilt, formatError } from './build.js';

process.env.TZ = 'UTC';
process.setSourceMapsEnabled(true);
let entry;
try {
  entry = await ensureBuilt('backend/cli/main.ts');
} catch (e) {
  process.stderr.write(`accrue: could not compile the sources:\n${formatError(e)}\n`);
  process.exit(1);
}
const { main } = await import(entry);
const code = await main(process.argv.slice(2));
process.exitCode = code;
