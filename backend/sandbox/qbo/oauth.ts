/**
 * Intuit's OAuth 2.0 server, as the fake plays it (docs/quickbooks.md §1 OAuth and tokens): the
 * authorize page (a stub that grants or denies at once), single-use authorization codes, refresh
 * tokens that roll forward on use and rotate about daily with a grace period for the old value,
 * a five-year hard cap, `invalid_grant` on anything stale, and revocation. It owns every app,
 * code, grant and token, and answers the API gateway's question: which realm is this token for?
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTH_CODE_TTL_MS, REFRESH_HARD_TTL_S, REFRESH_TOKEN_TTL_S } from './limits.ts';
import { readBody, send } from './http.ts';
import type { FakeClock, Json, OAuthCounters } from './types.ts';

interface Grant {
  id: string;
  clientId: string;
  realmId: string;
  revoked: boolean;
  hardExpires_ms: number;
  currentRefresh: string;
  currentRefreshIssued_ms: number;
}

interface RefreshRecord {
  grantId: string;
  validUntil_ms: number;
  /** Set when a newer value replaced this one; it dies at this instant. */
  diesAt_ms?: number | undefined;
}

interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  realmId: string;
  expires_ms: number;
  used: boolean;
  grantId?: string;
}

export interface TokenLifetimes {
  rotateAfter_ms: number;
  grace_ms: number;
  accessTtl_s: number;
}

/** A token endpoint form, from either encoding clients use. */
function parseForm(text: string, contentType: string | undefined): Record<string, string> {
  if (contentType?.includes('application/json')) {
    try {
      const o = JSON.parse(text) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

export class OAuthServer {
  readonly #apps = new Map<string, { secret: string; redirectUris: string[] }>();
  readonly #codes = new Map<string, AuthorizationCode>();
  readonly #grants = new Map<string, Grant>();
  readonly #refreshTokens = new Map<string, RefreshRecord>();
  readonly #accessTokens = new Map<string, { grantId?: string; realmId: string; expires_ms: number }>();
  readonly #counters: OAuthCounters = { tokenCalls: 0, refreshCalls: 0, revokeCalls: 0, invalidGrants: 0 };
  #authorizeOutcome: { realmId?: string; deny?: boolean } = {};

  constructor(
    private readonly clock: FakeClock,
    private readonly lifetimes: TokenLifetimes,
    /** The realm the authorize stub grants when no outcome names one. */
    private readonly defaultRealm: () => string | undefined,
  ) {}

  registerApp(app: { clientId: string; clientSecret: string; redirectUris: string[] }): void {
    this.#apps.set(app.clientId, { secret: app.clientSecret, redirectUris: app.redirectUris });
  }

  setAuthorizeOutcome(outcome: { realmId?: string; deny?: boolean }): void {
    this.#authorizeOutcome = outcome;
  }

  counters(): OAuthCounters {
    return { ...this.#counters };
  }

  /** A token for a realm without the OAuth dance; tied to no grant, so revoking grants never touches it. */
  issueAccessToken(realmId: string): string {
    const access = `fakeat_${randomBytes(18).toString('base64url')}`;
    this.#accessTokens.set(access, { realmId, expires_ms: this.clock.now_ms() + this.lifetimes.accessTtl_s * 1000 });
    return access;
  }

  expireAccessTokens(realmId?: string): void {
    for (const v of this.#accessTokens.values()) if (!realmId || v.realmId === realmId) v.expires_ms = 0;
  }

  /** The realm a live Bearer token is for, or undefined when the gateway must answer 401. */
  authenticate(authorization: string): string | undefined {
    const token = authorization.startsWith('Bearer ') ? this.#accessTokens.get(authorization.slice(7)) : undefined;
    if (
      !token ||
      token.expires_ms <= this.clock.now_ms() ||
      (token.grantId && this.#grants.get(token.grantId)?.revoked)
    )
      return undefined;
    return token.realmId;
  }

  /** Answers the OAuth endpoints; false when the request is for another part of the server. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (req.method === 'GET' && url.pathname === '/connect/oauth2') {
      this.#authorize(res, url);
      return true;
    }
    if (req.method === 'POST' && url.pathname === '/oauth2/v1/tokens/bearer') {
      await this.#token(req, res);
      return true;
    }
    if (req.method === 'POST' && url.pathname === '/v2/oauth2/tokens/revoke') {
      await this.#revoke(req, res);
      return true;
    }
    return false;
  }

  /** The consent page: redirects at once with a code, or with `access_denied`. */
  #authorize(res: ServerResponse, url: URL): void {
    const clientId = url.searchParams.get('client_id') ?? '';
    const redirectUri = url.searchParams.get('redirect_uri') ?? '';
    const state = url.searchParams.get('state') ?? '';
    const app = this.#apps.get(clientId);
    if (!app || !app.redirectUris.includes(redirectUri))
      return send(res, 400, 'invalid client_id or redirect_uri', 'text/plain');
    const target = new URL(redirectUri);
    if (this.#authorizeOutcome.deny) {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('state', state);
    } else {
      const realmId = this.#authorizeOutcome.realmId ?? this.defaultRealm();
      if (!realmId) return send(res, 500, 'no realm seeded', 'text/plain');
      const code = `fakecode_${randomBytes(24).toString('base64url')}`;
      this.#codes.set(code, {
        clientId,
        redirectUri,
        realmId,
        expires_ms: this.clock.now_ms() + AUTH_CODE_TTL_MS,
        used: false,
      });
      target.searchParams.set('code', code);
      target.searchParams.set('state', state);
      target.searchParams.set('realmId', realmId);
    }
    res.writeHead(302, { location: target.toString() });
    res.end();
  }

  /** The client id of a request whose Basic credentials name a registered app. */
  #basicClient(req: IncomingMessage): string | undefined {
    const h = req.headers.authorization;
    if (!h?.startsWith('Basic ')) return undefined;
    const [id, secret] = Buffer.from(h.slice(6), 'base64').toString('utf8').split(':');
    const app = id ? this.#apps.get(id) : undefined;
    return app && app.secret === secret ? id : undefined;
  }

  async #token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#counters.tokenCalls++;
    const form = parseForm(await readBody(req), req.headers['content-type']);
    const clientId = this.#basicClient(req);
    if (!clientId) return send(res, 401, { error: 'invalid_client' });
    const includeHard = req.headers['x-include-refresh-token-hard-expires-in'] === 'true';
    let answer: { grant: Grant } | { invalid: string };
    if (form['grant_type'] === 'authorization_code') answer = this.#exchangeCode(form, clientId);
    else if (form['grant_type'] === 'refresh_token') answer = this.#refresh(form, clientId);
    else return send(res, 400, { error: 'unsupported_grant_type' });
    if ('invalid' in answer) {
      this.#counters.invalidGrants++;
      return send(res, 400, { error: 'invalid_grant', error_description: answer.invalid });
    }
    send(res, 200, this.#issueTokens(answer.grant, includeHard));
  }

  #exchangeCode(form: Record<string, string>, clientId: string): { grant: Grant } | { invalid: string } {
    const c = this.#codes.get(form['code'] ?? '');
    if (!c || c.clientId !== clientId) return { invalid: 'Token invalid' };
    if (c.used) {
      // A second exchange of the same code invalidates the tokens of the first (docs/quickbooks.md §1).
      if (c.grantId) this.#revokeGrant(c.grantId);
      return { invalid: 'Token invalid' };
    }
    if (c.expires_ms < this.clock.now_ms()) return { invalid: 'Token expired' };
    if (c.redirectUri !== form['redirect_uri']) return { invalid: 'Redirect URI mismatch' };
    c.used = true;
    const grantId = randomUUID();
    const grant: Grant = {
      id: grantId,
      clientId,
      realmId: c.realmId,
      revoked: false,
      hardExpires_ms: this.clock.now_ms() + REFRESH_HARD_TTL_S * 1000,
      currentRefresh: '',
      currentRefreshIssued_ms: this.clock.now_ms(),
    };
    grant.currentRefresh = this.#newRefresh(grantId);
    this.#grants.set(grantId, grant);
    c.grantId = grantId;
    return { grant };
  }

  #refresh(form: Record<string, string>, clientId: string): { grant: Grant } | { invalid: string } {
    this.#counters.refreshCalls++;
    const presented = form['refresh_token'] ?? '';
    const rec = this.#refreshTokens.get(presented);
    const now = this.clock.now_ms();
    if (!rec) return { invalid: 'Token invalid' };
    const grant = this.#grants.get(rec.grantId);
    if (!grant || grant.revoked || grant.clientId !== clientId)
      return { invalid: 'Token has been expired or revoked.' };
    if (rec.validUntil_ms < now || (rec.diesAt_ms !== undefined && rec.diesAt_ms <= now))
      return { invalid: 'Token has been expired or revoked.' };
    if (now - grant.currentRefreshIssued_ms >= this.lifetimes.rotateAfter_ms) {
      const old = this.#refreshTokens.get(grant.currentRefresh);
      if (old) old.diesAt_ms = now + this.lifetimes.grace_ms;
      grant.currentRefresh = this.#newRefresh(grant.id);
      grant.currentRefreshIssued_ms = now;
    }
    return { grant };
  }

  async #revoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#counters.revokeCalls++;
    const form = parseForm(await readBody(req), req.headers['content-type']);
    if (!this.#basicClient(req)) return send(res, 401, { error: 'invalid_client' });
    const token = form['token'] ?? '';
    const grantId = this.#refreshTokens.get(token)?.grantId ?? this.#accessTokens.get(token)?.grantId;
    if (grantId) this.#revokeGrant(grantId);
    res.writeHead(200, { intuit_tid: randomUUID() });
    res.end();
  }

  #issueTokens(grant: Grant, includeHard: boolean): Json {
    const now = this.clock.now_ms();
    const accessTtl = this.lifetimes.accessTtl_s;
    const access = `fakeat_${randomBytes(18).toString('base64url')}`;
    this.#accessTokens.set(access, { grantId: grant.id, realmId: grant.realmId, expires_ms: now + accessTtl * 1000 });
    const rec = this.#refreshTokens.get(grant.currentRefresh)!;
    rec.validUntil_ms = Math.min(now + REFRESH_TOKEN_TTL_S * 1000, grant.hardExpires_ms);
    const body: Json = {
      token_type: 'bearer',
      access_token: access,
      expires_in: accessTtl,
      refresh_token: grant.currentRefresh,
      x_refresh_token_expires_in: Math.floor((rec.validUntil_ms - now) / 1000),
    };
    if (includeHard) body.x_refresh_token_hard_expires_in = Math.floor((grant.hardExpires_ms - now) / 1000);
    return body;
  }

  #newRefresh(grantId: string): string {
    const value = `fakert_${randomBytes(18).toString('base64url')}`;
    this.#refreshTokens.set(value, { grantId, validUntil_ms: this.clock.now_ms() + REFRESH_TOKEN_TTL_S * 1000 });
    return value;
  }

  #revokeGrant(grantId: string): void {
    const g = this.#grants.get(grantId);
    if (g) g.revoked = true;
    for (const [k, v] of this.#accessTokens) if (v.grantId === grantId) this.#accessTokens.delete(k);
  }
}
