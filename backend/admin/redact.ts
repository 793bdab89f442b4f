/**
 * Keeps secrets out of Admin API responses and the audit log. Every body the Admin API sends
 * and every parameter set it records passes through `redactSecrets`: fields whose names say
 * they hold a credential, and strings that look like a credential, are replaced. The queries
 * also never select credential columns; this is the second line of defence.
 */

/** Field names that hold credentials (OAuth tokens, API keys, signing secrets, ciphertexts). */
const SECRET_FIELD =
  /(token|secret|password|passwd|api[_-]?key|authorization|signature|ciphertext|cookie|private[_-]?key)/i;
/** Values that are credentials whatever field they are in: Stripe keys, webhook secrets, our admin keys, JWT-like bearer tokens. */
const SECRET_VALUE = /^(sk|rk|pk)_(live|test)_|^whsec_|^aak_[A-Za-z0-9]{8}_|^eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\./;
export const REDACTED = '[redacted]';
/** Nesting deeper than this is cut off: no legitimate admin body goes that deep, and it bounds the walk. */
const REDACT_DEPTH_MAX = 12;

/** True when a field of this name must never be shown. */
export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name);
}

/**
 * A JSON-safe copy of `value` with secrets replaced: bigints become decimal strings, Dates ISO
 * strings, functions and undefined are dropped.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return SECRET_VALUE.test(value) ? REDACTED : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object') return undefined;
  if (depth >= REDACT_DEPTH_MAX) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (isSecretField(k)) {
      if (v !== undefined && v !== null) out[k] = REDACTED;
      continue;
    }
    const r = redactSecrets(v, depth + 1);
    if (r !== undefined) out[k] = r;
  }
  return out;
}
