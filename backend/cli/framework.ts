/**
 * A small command framework: each command declares its options and help text; `--help` works
 * on every command; failures map to exit codes in one place.
 *
 * Exit codes: 0 success; 1 runtime failure; 2 bad usage or invalid input (an unbalanced entry, a
 * reversal that does not mirror); 3 not found; 4 conflict (e.g. a closed period, a changed entry,
 * a change to the append-only journal); 5 not configured. What was thrown is mapped by
 * `toAccrueError` (backend/errors.ts), so a ledger trigger's refusal exits like the same refusal
 * made in code. The cause chain goes to stderr: always for an internal failure, and with
 * `LOG_LEVEL=debug` (or trace) for a refusal.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { type ErrorCode } from '../../shared/errors.ts';
import type { CauseLink } from '../errors.ts';

/** The error mapping loads on the first failure only: it pulls in pg and zod, which `--help` does not need. */
type ErrorMapping = typeof import('../errors.ts');

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
};

export async function exitCodeFor(err: unknown): Promise<number> {
  if (err instanceof UsageError) return 2;
  const { toAccrueError } = await import('../errors.ts');
  return EXIT[toAccrueError(err).code] ?? 1;
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
 * What a failed command prints: one line for a refusal (its causes too at debug level), the
 * stack and causes for anything unexpected.
 */
function failureText({ causeChain, toAccrueError }: ErrorMapping, name: string, e: unknown): string {
  const mapped = toAccrueError(e);
  if (mapped.code === 'internal' && mapped !== e) {
    return `accrue ${name}: unexpected failure: ${(e as Error)?.stack ?? String(e)}\n${causeLines(causeChain(e))}`;
  }
  const showCauses = mapped.code === 'internal' || debugLogging();
  return `accrue ${name}: ${mapped.message}\n${showCauses ? causeLines(causeChain(mapped)) : ''}`;
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
    err(`accrue ${c.name}: ${(e as Error).message}\n\n${helpText(c)}`);
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
    if (e instanceof UsageError) err(`accrue ${c.name}: ${e.message}\n\n${helpText(c)}`);
    else err(failureText(await import('../errors.ts'), c.name, e));
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
