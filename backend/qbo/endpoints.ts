/**
 * Where QuickBooks lives. The ONE place that points `node-quickbooks` and `intuit-oauth` at an
 * API host: production by default, or a fake on 127.0.0.1 in tests (config `QBO_API_BASE`,
 * `QBO_OAUTH_BASE`). Both libraries keep these URLs in static, process-wide properties
 * (`docs/quickbooks.md §2`), so this is applied once per process and every client built afterwards follows it.
 */
import OAuthClient from 'intuit-oauth';
import QuickBooks from 'node-quickbooks';

/** Intuit's production hosts (`docs/quickbooks.md §1`). Sandbox differs only in the API host. */
export const INTUIT_URLS = {
  apiBase: 'https://quickbooks.api.intuit.com',
  sandboxApiBase: 'https://sandbox-quickbooks.api.intuit.com',
  authorize: 'https://appcenter.intuit.com/connect/oauth2',
  token: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
  revoke: 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke',
} as const;

/** Paths a single-host OAuth server (our fake) serves, mirroring the real hosts' paths. */
export const OAUTH_PATHS = {
  authorize: '/connect/oauth2',
  token: '/oauth2/v1/tokens/bearer',
  revoke: '/v2/oauth2/tokens/revoke',
} as const;

export interface QboEndpoints {
  /** Base of the Accounting API, ending in `/v3/company/`. */
  companyBase: string;
  authorize: string;
  token: string;
  revoke: string;
}

export interface QboEndpointConfig {
  /** `QBO_API_BASE`: scheme and host (no path), e.g. `http://127.0.0.1:4010`. */
  QBO_API_BASE?: string | undefined;
  /** `QBO_OAUTH_BASE`: one host serving authorize, token and revoke at Intuit's paths. */
  QBO_OAUTH_BASE?: string | undefined;
  /** `QBO_ENVIRONMENT`: `sandbox` or `production` (default) when no API base is given. */
  QBO_ENVIRONMENT?: string | undefined;
}

let applied: QboEndpoints | undefined;

function trimSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

/** Resolves the endpoints from config without touching the libraries. */
export function resolveEndpoints(config: QboEndpointConfig): QboEndpoints {
  const apiBase = config.QBO_API_BASE
    ? trimSlash(config.QBO_API_BASE)
    : config.QBO_ENVIRONMENT === 'sandbox'
      ? INTUIT_URLS.sandboxApiBase
      : INTUIT_URLS.apiBase;
  const oauth = config.QBO_OAUTH_BASE ? trimSlash(config.QBO_OAUTH_BASE) : undefined;
  return {
    companyBase: `${apiBase}/v3/company/`,
    authorize: oauth ? oauth + OAUTH_PATHS.authorize : INTUIT_URLS.authorize,
    token: oauth ? oauth + OAUTH_PATHS.token : INTUIT_URLS.token,
    revoke: oauth ? oauth + OAUTH_PATHS.revoke : INTUIT_URLS.revoke,
  };
}

/**
 * Points both libraries at the configured hosts. Idempotent; calling it again with other values
 * re-points them (tests that start a fresh fake do this). Returns what was applied.
 */
export function configureQboEndpoints(config: QboEndpointConfig = process.env): QboEndpoints {
  const e = resolveEndpoints(config);
  // node-quickbooks computes `this.endpoint` in its constructor from this static, replacing
  // "sandbox-" when useSandbox is false; our adapter always passes useSandbox=true so the value
  // set here is used verbatim.
  const qb = QuickBooks as unknown as { V3_ENDPOINT_BASE_URL: string; TOKEN_URL: string; REVOKE_URL: string };
  qb.V3_ENDPOINT_BASE_URL = e.companyBase;
  qb.TOKEN_URL = e.token;
  qb.REVOKE_URL = e.revoke;
  const oc = OAuthClient as unknown as { authorizeEndpoint: string; tokenEndpoint: string; revokeEndpoint: string };
  oc.authorizeEndpoint = e.authorize;
  oc.tokenEndpoint = e.token;
  oc.revokeEndpoint = e.revoke;
  applied = e;
  return e;
}

/** The endpoints in force, applying the process config on first use. */
export function currentEndpoints(): QboEndpoints {
  return applied ?? configureQboEndpoints();
}
