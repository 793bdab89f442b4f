/**
 * Pieces the CLI commands share: opening a context from the environment, resolving the tenant
 * named on the command line, checking dates, periods and output paths before any work. What a
 * command runs is imported when it runs, so `accrue --help` loads none of it.
 */
import { constants, existsSync, readFileSync } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AccrueError } from '../../shared/errors.ts';
import { parseDate } from '../../shared/time.ts';
import type { AppContext } from '../app/context.ts';
import type { Config } from '../config/config.ts';
import type { Tenant } from '../ledger/tenants.ts';
import { UsageError } from './framework.ts';

/** Opens the process context for a one-shot command (no workers, no scheduler). CLI logs go to stderr. */
export async function cliContext(opts: { workers?: boolean; schedule?: boolean } = {}): Promise<AppContext> {
  const [{ openContext }, { loadConfig }, { createLogger }] = await Promise.all([
    import('../app/context.ts'),
    import('../config/config.ts'),
    import('../log/logger.ts'),
  ]);
  const config = loadConfig();
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  return openContext({ config, log, workers: opts.workers ?? false, schedule: opts.schedule ?? false });
}

/** Waits for SIGINT/SIGTERM (Ctrl-C). */
export function untilSignal(): Promise<string> {
  return new Promise((res) => {
    const on = (s: string) => () => res(s);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
}

export const TENANT_OPTIONS = {
  tenant: { type: 'string', description: 'Stripe account id of the tenant (acct_…)' },
  live: { type: 'boolean', description: 'Use the live-mode books (default: test mode)' },
} as const;

export async function tenantFrom(ctx: AppContext, values: Record<string, unknown>): Promise<Tenant> {
  const id = values.tenant;
  if (typeof id !== 'string' || !id) throw new UsageError('--tenant acct_… is required');
  const { checkAccountId, getTenant } = await import('../ledger/tenants.ts');
  checkAccountId(id);
  try {
    return await getTenant(ctx.db, { accountId: id, livemode: values.live === true });
  } catch (e) {
    if (!(e instanceof AccrueError) || e.code !== 'not_found') throw e;
    throw new AccrueError(
      'not_found',
      `${e.message}; \`accrue tenants\` lists the books here${await demoHint(ctx.config)}`,
    );
  }
}

/**
 * Where the demo's books are, when they are not the ones this command opened: the demo keeps
 * them in a data folder of their own (see backend/demo/books.ts). Empty when there is no demo.
 */
export async function demoHint(config: Config): Promise<string> {
  if (config.DATABASE_URL) return '';
  const { DEMO_MARKER, displayPath } = await import('../demo/books.ts');
  const folder = join(config.ACCRUE_DATA_DIR, 'demo');
  const marker = join(folder, DEMO_MARKER);
  if (!existsSync(marker)) return '';
  let tenant = '';
  try {
    tenant = String((JSON.parse(readFileSync(marker, 'utf8')) as { tenant?: unknown }).tenant ?? '');
  } catch {
    // An unreadable marker still says where the folder is.
  }
  return ` (the demo's books${tenant ? `, tenant ${tenant},` : ''} are in ${displayPath(folder)}: export ACCRUE_DATA_DIR=${displayPath(folder)})`;
}

/** A date option: `YYYY-MM-DD` and a real calendar day (2026-02-30 is refused). */
export function dateArg(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v))
    throw new AccrueError('invalid_input', `--${name} must be a date YYYY-MM-DD, not "${String(v)}"`);
  try {
    parseDate(v);
  } catch {
    throw new AccrueError('invalid_input', `--${name} ${v} is not a calendar date`);
  }
  return v;
}

/** A period option or argument: `YYYY-MM` with a real month, or a date inside the period. */
export function periodArg(v: unknown, what: string): string | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    try {
      parseDate(s);
    } catch {
      throw new AccrueError('invalid_input', `${what} ${s} is not a calendar date`);
    }
    return s;
  }
  const m = /^(\d{4})-(\d{2})$/.exec(s);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12)
    throw new AccrueError('invalid_input', `${what} must be a period YYYY-MM (or a date inside it), not "${s}"`);
  return s;
}

/**
 * Checks, before any work, that `file` can be written: its folder exists and is writable, and it
 * is not itself a folder. A command that would otherwise fail after minutes fails at once.
 */
export async function checkWritableFile(file: string): Promise<void> {
  const dir = dirname(resolve(file));
  const st = await stat(dir).catch(() => null);
  if (!st) throw new AccrueError('invalid_input', `cannot write ${file}: folder ${dir} does not exist`);
  if (!st.isDirectory()) throw new AccrueError('invalid_input', `cannot write ${file}: ${dir} is not a folder`);
  if ((await stat(file).catch(() => null))?.isDirectory())
    throw new AccrueError('invalid_input', `cannot write ${file}: it is a folder`);
  await access(dir, constants.W_OK).catch(() => {
    throw new AccrueError('invalid_input', `cannot write ${file}: folder ${dir} is not writable`);
  });
}

/** Checks, before any work, that `dir` is (or can be created as) a writable folder. */
export async function checkWritableDir(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => null);
  if (st && !st.isDirectory()) throw new AccrueError('invalid_input', `cannot write to ${dir}: it is not a folder`);
  if (!st) await mkdir(dir, { recursive: true }); // a failure names the path (see cliError)
  await access(dir, constants.W_OK).catch(() => {
    throw new AccrueError('invalid_input', `cannot write to ${dir}: the folder is not writable`);
  });
}
