/**
 * Pieces the CLI commands share: opening a context from the environment, resolving the tenant
 * named on the command line, and a terminal progress bar. What a command runs is imported when it
 * runs, so `accrue --help` loads none of it.
 */
import type { AppContext } from '../app/context.ts';
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

export const TENANT_OPTIONS = {
  tenant: { type: 'string', description: 'Stripe account id of the tenant (acct_…)' },
  live: { type: 'boolean', description: 'Use the live-mode books (default: test mode)' },
} as const;

export async function tenantFrom(ctx: AppContext, values: Record<string, unknown>): Promise<Tenant> {
  const id = values.tenant;
  if (typeof id !== 'string' || !id) throw new UsageError('--tenant acct_… is required');
  const { checkAccountId, getTenant } = await import('../ledger/tenants.ts');
  checkAccountId(id);
  return getTenant(ctx.db, { accountId: id, livemode: values.live === true });
}

/** A one-line progress bar on a terminal; silent otherwise. */
export function progressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): (done: number, total: number) => void {
  if (!stream.isTTY) return () => undefined;
  let last = -1;
  return (done, total) => {
    const pct = total ? Math.floor((done / total) * 100) : 100;
    if (pct === last && done !== total) return;
    last = pct;
    const width = 30;
    const fill = Math.round((pct / 100) * width);
    stream.write(
      `\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct}% (${done}/${total})${done === total ? '\n' : ''}`,
    );
  };
}

export function dateArg(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v))
    throw new UsageError(`--${name} must be a date YYYY-MM-DD`);
  return v;
}
