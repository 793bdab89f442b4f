#!/usr/bin/env node
// The `accrue` command: loads the TypeScript CLI through tsx (no build step).
import { register } from 'tsx/esm/api';

process.env.TZ = 'UTC';
register();
const { main } = await import('../backend/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
