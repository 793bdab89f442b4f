/**
 * The process logger (pino). Everything that could carry a secret is redacted here, in one place.
 */
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["stripe-signature"]',
  'req.headers["intuit-signature"]',
  'req.headers.cookie',
  'req.headers["x-accrue-admin-key"]',
  '*.access_token',
  '*.refresh_token',
  '*.secret',
  '*.password',
  '*.apiKey',
  '*.api_key',
];

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'accrue' } });
}

export type { Logger };
