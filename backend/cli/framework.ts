/**
 * A small command framework: each command declares its options and help text; `--help` works
 * on every command; failures map to exit codes in one place.
 *
 * Exit codes: 0 success; 1 runtime failure; 2 bad usage or invalid input; 3 not found;
 * 4 conflict (e.g. a closed period, a changed entry); 5 not configured.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isAccrueError, type ErrorCode } from '../../shared/errors.ts';

export type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean; description: string; default?: string | boolean };

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options?: Record<string, OptionSpec>;
  /** Subcommand names or positional argument descriptions, for help only. */
  details?: string;
  run(args: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] }): Promise<number>;
}

export class UsageError extends Error {}

const EXIT: Partial<Record<ErrorCode, number>> = {
  invalid_input: 2,
  unbalanced_entry: 2,
  unknown_account: 2,
  not_found: 3,
  conflict: 4,
  period_closed: 4,
  not_configured: 5,
};

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return 2;
  if (isAccrueError(err)) return EXIT[err.code] ?? 1;
  return 1;
}

export function helpText(c: Command): string {
  const opts = Object.entries(c.options ?? {})
    .map(([k, o]) => `  --${k}${o.type === 'string' ? ' <value>' : ''}${o.short ? `, -${o.short}` : ''}\n      ${o.description}${o.default !== undefined ? ` (default: ${String(o.default)})` : ''}`)
    .join('\n');
  return `${c.summary}\n\nUsage: accrue ${c.usage}\n${c.details ? `\n${c.details}\n` : ''}${opts ? `\nOptions:\n${opts}\n` : ''}  --help, -h\n      Show this help.\n`;
}

export async function runCommand(c: Command, argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
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
  const values: Record<string, string | boolean | string[] | undefined> = { ...(parsed.values as Record<string, string | boolean | string[] | undefined>) };
  for (const [k, o] of Object.entries(c.options ?? {})) if (values[k] === undefined && o.default !== undefined) values[k] = o.default;
  try {
    return await c.run({ values, positionals: parsed.positionals });
  } catch (e) {
    const code = exitCodeFor(e);
    if (e instanceof UsageError) err(`accrue ${c.name}: ${e.message}\n\n${helpText(c)}`);
    else if (isAccrueError(e)) err(`accrue ${c.name}: ${e.message}\n`);
    else err(`accrue ${c.name}: unexpected failure: ${(e as Error)?.stack ?? String(e)}\n`);
    return code;
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
