/**
 * Process configuration from environment variables, validated once at start. A missing or
 * malformed value stops the process with one line naming the variable. Secrets are kept in
 * the config object but never logged: `describeConfig` prints only what is set, not values.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { AccrueError } from '../../shared/errors.ts';

const optionalString = z
  .string()
  .trim()
  .min(1)
  .optional()
  .or(z.literal('').transform(() => undefined));
const url = (name: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), `${name} must be an http(s) URL`);

/** A non-negative integer variable with a default when unset or empty. */
const count = (name: string, fallback: number, min = 0) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? fallback : Number(v)))
    .refine((n) => Number.isInteger(n) && n >= min, `${name} must be an integer of at least ${min}`);

/**
 * Rate-limit defaults: far above what Stripe (or the bench, 200 webhooks a second from one
 * address) sends, low enough that one client cannot take the server alone.
 */
export const DEFAULT_RATE_LIMITS = { window_s: 60, perIp: 60_000, perTenant: 30_000 } as const;

const Schema = z.object({
  PORT: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? 3000 : Number(v)))
    .refine((n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'PORT must be an integer from 0 to 65535'),
  DATABASE_URL: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine(
      (v) => v === undefined || /^postgres(ql)?:\/\//.test(v),
      'DATABASE_URL must start with postgres:// or postgresql://',
    ),
  ACCRUE_DATA_DIR: z
    .string()
    .optional()
    .transform((v) => resolve(v && v.length > 0 ? v : './.accrue')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
  STRIPE_SECRET_KEY: optionalString.refine(
    (v) => v === undefined || /^(sk|rk)_(test|live)_/.test(v),
    'STRIPE_SECRET_KEY must start with sk_test_, sk_live_, rk_test_ or rk_live_',
  ),
  STRIPE_WEBHOOK_SECRET: optionalString.transform((v) =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  ),
  STRIPE_APP_SECRET: optionalString.transform((v) =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  ),
  STRIPE_API_BASE: url('STRIPE_API_BASE'),
  QBO_CLIENT_ID: optionalString,
  QBO_CLIENT_SECRET: optionalString,
  QBO_REDIRECT_URI: url('QBO_REDIRECT_URI'),
  QBO_API_BASE: url('QBO_API_BASE'),
  QBO_OAUTH_BASE: url('QBO_OAUTH_BASE'),
  QBO_WEBHOOK_VERIFIER: optionalString,
  ACCRUE_ENCRYPTION_KEY: optionalString,
  ACCRUE_PUBLIC_URL: url('ACCRUE_PUBLIC_URL'),
  ACCRUE_RATE_LIMIT_WINDOW_S: count('ACCRUE_RATE_LIMIT_WINDOW_S', DEFAULT_RATE_LIMITS.window_s, 1),
  ACCRUE_RATE_LIMIT_PER_IP: count('ACCRUE_RATE_LIMIT_PER_IP', DEFAULT_RATE_LIMITS.perIp),
  ACCRUE_RATE_LIMIT_PER_TENANT: count('ACCRUE_RATE_LIMIT_PER_TENANT', DEFAULT_RATE_LIMITS.perTenant),
  /** For the fault simulator only: QuickBooks back-offs and pauses wait this many times shorter. */
  ACCRUE_WAIT_SPEEDUP: count('ACCRUE_WAIT_SPEEDUP', 1, 1),
});

export type Config = z.infer<typeof Schema>;

/** Parses configuration; throws AccrueError('invalid_input') naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const r = Schema.safeParse(env);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    const msg = issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`;
    throw new AccrueError('invalid_input', `configuration error: ${msg}`, { variable: name });
  }
  return r.data;
}

/** The public endpoints' rate limits (`backend/http/rate-limit.ts`): per window, per IP and per tenant; 0 turns one off. */
export function rateLimitsOf(c: Config): { window_s: number; perIp: number; perTenant: number } {
  return {
    window_s: c.ACCRUE_RATE_LIMIT_WINDOW_S,
    perIp: c.ACCRUE_RATE_LIMIT_PER_IP,
    perTenant: c.ACCRUE_RATE_LIMIT_PER_TENANT,
  };
}

/** What is and is not configured, without any secret value: for the start-up log and `accrue status`. */
export function describeConfig(c: Config): { configured: string[]; missing: string[] } {
  const checks: [string, boolean][] = [
    ['stripe (STRIPE_SECRET_KEY)', c.STRIPE_SECRET_KEY !== undefined],
    ['stripe webhooks (STRIPE_WEBHOOK_SECRET)', c.STRIPE_WEBHOOK_SECRET.length > 0],
    ['stripe app (STRIPE_APP_SECRET)', c.STRIPE_APP_SECRET.length > 0],
    [
      'quickbooks (QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REDIRECT_URI)',
      !!(c.QBO_CLIENT_ID && c.QBO_CLIENT_SECRET && c.QBO_REDIRECT_URI),
    ],
    ['encryption at rest (ACCRUE_ENCRYPTION_KEY)', c.ACCRUE_ENCRYPTION_KEY !== undefined],
    ['database (DATABASE_URL; otherwise embedded PostgreSQL)', c.DATABASE_URL !== undefined],
  ];
  return {
    configured: checks.filter(([, ok]) => ok).map(([n]) => n),
    missing: checks.filter(([, ok]) => !ok).map(([n]) => n),
  };
}
