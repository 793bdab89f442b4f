/**
 * A small command framework: each command declares its options and help text; `--help` works
 * on every command; failures map to exit codes in one place.
 *
 * Exit codes: 0 success; 1 runtime failure (including an unexpected one); 2 bad usage or invalid
 * input (a malformed date, a path that cannot be written, an unbalanced entry, a reversal that
 * does not mirror); 3 not found (an unknown tenant or period); 4 conflict (e.g. a closed period, a
 * period closed out of order, a changed entry, a change to the append-only journal); 5 not
 * configured; 6 an upstream service (Stripe, QuickBooks) failed or refused. What was thrown is
 * mapped by `toAccrueError` (backend/errors.ts), so a ledger trigger's refusal exits like the same
 * refusal made in code.
 *
 * A failure is always one line on stderr, never a stack trace; the cause chain, with stacks,
 * follows only with `LOG_LEVEL=debug` (or trace).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AccrueError, type ErrorCode } from '../../shared/errors.ts';
import type { CauseLink } from '../errors.ts';

/**
 * The error mapping (backend/errors.ts and the QuickBooks adapter's error test) loads on the
 * first failure only: it pulls in pg, zod and the QuickBooks client, which `--help` does not need.
 */
interface ErrorMapping {
  causeChain: typeof import('../errors.ts').causeChain;
  errorChain: typeof import('../errors.ts').errorChain;
  toAccrueError: typeof import('../errors.ts').toAccrueError;
  isQboApiError: typeof import('../qbo/adapter.ts').isQboApiError;
}

async function errorMapping(): Promise<ErrorMapping> {
  const [errors, { isQboApiError }] = await Promise.all([import('../errors.ts'), import('../qbo/adapter.ts')]);
  return { ...errors, isQboApiError };
}

export type OptionSpec = {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
  default?: string | boolean;
};

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options?: Record<string, OptionSpec>;
  /** Subcommand names or positional argument descriptions, for help only. */
  details?: string;
  run(args: {
    values: Record<string, string | boolean | string[] | undefined>;
    positionals: string[];
  }): Promise<number>;
}

export class UsageError extends Error {}

const EXIT: Partial<Record<ErrorCode, number>> = {
  invalid_input: 2,
  unbalanced_entry: 2,
  unknown_account: 2,
  invalid_reversal: 2,
  not_found: 3,
  conflict: 4,
  period_closed: 4,
  append_only: 4,
  not_configured: 5,
  upstream_unavailable: 6,
  rate_limited: 6,
  temporarily_unavailable: 6,
};

/** What a file-system error code means to the person who named the path. */
const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  EISDIR: 'is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  ENAMETOOLONG: 'the name is too long',
};

/** Network error codes that mean a server (most often the database) could not be reached. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** A failure to reach a server, anywhere in the cause chain (a migration wraps the database's). */
function connectionFailure(err: unknown): AccrueError | undefined {
  let link = err as { code?: unknown; address?: unknown; port?: unknown; hostname?: unknown; cause?: unknown } | null;
  for (let i = 0; link && i < 8; i++, link = link.cause as typeof link) {
    if (typeof link.code !== 'string' || !CONNECTION_CODES.has(link.code)) continue;
    const target = link.hostname ?? (link.address ? `${String(link.address)}:${String(link.port)}` : 'a server');
    return new AccrueError(
      'upstream_unavailable',
      `cannot connect to ${String(target)} (${link.code}); is it running?`,
      undefined,
      {
        cause: err,
      },
    );
  }
  return undefined;
}

/**
 * The CLI's view of a failure: what `toAccrueError` makes of it, plus the two kinds only a
 * command line meets — a file-system error on a path the user named (invalid input) and a
 * QuickBooks API failure that escaped the use case (an upstream fault).
 */
export function cliError(
  { toAccrueError, isQboApiError }: Pick<ErrorMapping, 'toAccrueError' | 'isQboApiError'>,
  err: unknown,
): AccrueError {
  const e = err as { code?: unknown; path?: unknown; syscall?: unknown } | null;
  if (e && typeof e.code === 'string' && typeof e.path === 'string' && FS_REASONS[e.code]) {
    const verb = e.syscall === 'open' || e.syscall === 'scandir' || e.syscall === 'stat' ? 'use' : String(e.syscall);
    return new AccrueError('invalid_input', `cannot ${verb} ${e.path}: ${FS_REASONS[e.code]}`, undefined, {
      cause: err,
    });
  }
  if (e?.code === 'EADDRINUSE' || e?.code === 'EACCES')
    if (typeof (e as { port?: unknown }).port === 'number')
      return new AccrueError(
        'invalid_input',
        `cannot listen on port ${(e as { port: number }).port}: ${e.code === 'EADDRINUSE' ? 'it is in use' : 'permission denied'}; choose another with --port`,
        undefined,
        { cause: err },
      );
  // An AccrueError with its own code already says what failed; only an unexplained one is looked into.
  const unexplained = !(err instanceof AccrueError) || err.code === 'internal';
  const unreachable = unexplained ? connectionFailure(err) : undefined;
  if (unreachable) return unreachable;
  if (isQboApiError(err))
    return new AccrueError('upstream_unavailable', `QuickBooks failed: ${err.message}`, undefined, { cause: err });
  return toAccrueError(err);
}

export async function exitCodeFor(err: unknown): Promise<number> {
  if (err instanceof UsageError) return 2;
  return EXIT[cliError(await errorMapping(), err).code] ?? 1;
}

/** The cause chain as stderr lines, each with its stack. */
function causeLines(causes: readonly CauseLink[]): string {
  return causes
    .map((link) => {
      const head = `  caused by ${link.name}${link.code ? ` (${link.code})` : ''}: ${link.message}\n`;
      return link.stack ? `${head}${link.stack.replace(/^/gm, '    ')}\n` : head;
    })
    .join('');
}

function debugLogging(): boolean {
  const level = process.env.LOG_LEVEL ?? '';
  return level === 'debug' || level === 'trace';
}

/**
 * What a failed command prints: one line, whatever failed (its causes, with stacks, at debug
 * level). An unexpected failure says so and names what was thrown.
 */
function failureText(mapping: ErrorMapping, name: string, e: unknown): string {
  const { causeChain, errorChain } = mapping;
  const mapped = cliError(mapping, e);
  const message =
    mapped.code === 'internal' && mapped !== e
      ? `unexpected failure: ${oneLine((e as Error)?.message ?? String(e))} (LOG_LEVEL=debug shows where)`
      : oneLine(mapped.message);
  const causes = debugLogging() ? causeLines(mapped === e ? causeChain(e) : [...errorChain(e)]) : '';
  return `accrue ${name}: ${message}\n${causes}`;
}

/** The first line of a message, so that no multi-line upstream text breaks the one-line rule. */
function oneLine(s: string): string {
  const first = s.split('\n').find((l) => l.trim()) ?? s;
  return first.trim();
}

export function helpText(c: Command): string {
  const opts = Object.entries(c.options ?? {})
    .map(
      ([k, o]) =>
        `  --${k}${o.type === 'string' ? ' <value>' : ''}${o.short ? `, -${o.short}` : ''}\n      ${o.description}${o.default !== undefined ? ` (default: ${String(o.default)})` : ''}`,
    )
    .join('\n');
  return `${c.summary}\n\nUsage: accrue ${c.usage}\n${c.details ? `\n${c.details}\n` : ''}${opts ? `\nOptions:\n${opts}\n` : ''}  --help, -h\n      Show this help.\n`;
}

/** A usage error in one line, pointing at the command's help. */
function usageLine(c: Command, message: string): string {
  return `accrue ${c.name}: ${oneLine(message)} (see accrue ${c.name} --help)\n`;
}

export async function runCommand(
  c: Command,
  argv: string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const options: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h' } };
  for (const [k, o] of Object.entries(c.options ?? {})) {
    options[k] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    err(usageLine(c, (e as Error).message));
    return 2;
  }
  if (parsed.values.help) {
    out(helpText(c));
    return 0;
  }
  const values: Record<string, string | boolean | string[] | undefined> = {
    ...(parsed.values as Record<string, string | boolean | string[] | undefined>),
  };
  for (const [k, o] of Object.entries(c.options ?? {}))
    if (values[k] === undefined && o.default !== undefined) values[k] = o.default;
  try {
    return await c.run({ values, positionals: parsed.positionals });
  } catch (e) {
    if (e instanceof UsageError) err(usageLine(c, e.message));
    else err(failureText(await errorMapping(), c.name, e));
    return exitCodeFor(e);
  }
}

export function str(v: unknown, name: string, required = false): string | undefined {
  if (v === undefined || v === false) {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string' || !v.length) throw new UsageError(`--${name} needs a value`);
  return v;
}
