/**
 * The one place a `Stripe` client is constructed. It pins the API version, turns off the SDK's own
 * retries (the reader and the backfill retry with our own policy, so two layers never multiply), and
 * lets `STRIPE_API_BASE` point the client at the local fake instead of api.stripe.com.
 */
import Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';

/** The API version every request is rendered in; object shapes in the engine assume exactly this. */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;

/**
 * How long one HTTP request may take. Stripe's reads answer in well under a second; 20 s leaves room
 * for a slow list page of 100 expanded invoices without letting a hung socket stall a job forever.
 */
export const STRIPE_TIMEOUT_MS = 20_000;

/** Retries live in `reader.ts`/`listing.ts`; the SDK must not retry on top of them. */
const SDK_NETWORK_RETRIES = 0;

export interface StripeClientConfig {
  /** Our platform secret key (`sk_live_…`/`sk_test_…`); connected accounts go in `Stripe-Account`. */
  secretKey: string;
  /** Base URL such as `http://127.0.0.1:1234` (the `STRIPE_API_BASE` setting); absent → api.stripe.com. */
  apiBase?: string | undefined;
  /** Per-request timeout; defaults to `STRIPE_TIMEOUT_MS`. */
  timeout_ms?: number | undefined;
}

/**
 * Builds a Stripe client pinned to `2026-10-28.endive`, with SDK retries off and an explicit timeout.
 * Throws `not_configured` when the key is missing and `invalid_input` for an unusable `apiBase`.
 */
export function createStripeClient(config: StripeClientConfig): Stripe {
  if (!config.secretKey) throw new AccrueError('not_configured', 'No Stripe secret key is configured');
  const stripeConfig: NonNullable<ConstructorParameters<typeof Stripe>[1]> = {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: SDK_NETWORK_RETRIES,
    timeout: config.timeout_ms ?? STRIPE_TIMEOUT_MS,
    // Telemetry headers describe the previous request's latency to Stripe; they carry nothing we need
    // and would make the fake's request log depend on timing.
    telemetry: false,
    appInfo: { name: 'Accrue' },
  };
  if (config.apiBase) Object.assign(stripeConfig, parseApiBase(config.apiBase));
  return new Stripe(config.secretKey, stripeConfig);
}

/** Splits `http://127.0.0.1:1234` into the host/port/protocol triple the SDK wants. */
export function parseApiBase(apiBase: string): { host: string; port: number; protocol: 'http' | 'https' } {
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    throw new AccrueError('invalid_input', `STRIPE_API_BASE "${apiBase}" is not a URL`);
  }
  const protocol = url.protocol.replace(/:$/, '');
  if (protocol !== 'http' && protocol !== 'https') {
    throw new AccrueError('invalid_input', `STRIPE_API_BASE must be http or https, got "${url.protocol}"`);
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    // The SDK always requests absolute /v1/… paths, so a prefix would be silently dropped.
    throw new AccrueError('invalid_input', `STRIPE_API_BASE must not have a path, got "${url.pathname}"`);
  }
  const port = url.port ? Number(url.port) : protocol === 'https' ? 443 : 80;
  // URL keeps IPv6 hosts in brackets; the SDK passes `host` straight to http.request, which wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, protocol };
}
