/**
 * Connecting a tenant to QuickBooks with `intuit-oauth` (`docs/quickbooks.md §1`): the authorization URL with
 * a signed, single-use, expiring `state`; the code exchange; refresh with `refreshUsingToken`
 * that always keeps the NEW refresh token and runs at most once at a time per connection; revoke;
 * and `invalid_grant` → the connection is marked `needs_reconnect`. Tokens are persisted through
 * `TokenStore`; the PostgreSQL implementation (with encryption.ts) belongs to the database layer.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import OAuthClient from 'intuit-oauth';
import { AccrueError } from '../../shared/errors.ts';
import { systemClock, type Clock } from './clock.ts';
import { currentEndpoints } from './endpoints.ts';

/** The only scope Accrue needs: posting journal entries and reading the chart of accounts. */
export const QBO_SCOPE = 'com.intuit.quickbooks.accounting';
/** How long a user has to finish consent; Intuit's own page times out well within this. */
export const OAUTH_STATE_TTL_MS = 15 * 60 * 1000;
/** Refresh this long before the access token expires so no request carries a dying token. */
export const ACCESS_TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** 128 bits of nonce: unguessable, and unique enough that single-use checks never collide. */
const STATE_NONCE_BYTES = 16;
/** Tenant ids in state are ours and short; refuse anything that would bloat the URL. */
const TENANT_ID_CHARS_MAX = 200;

export type ConnectionStatus = 'active' | 'needs_reconnect' | 'revoked';

export interface StoredConnection {
  tenantId: string;
  realmId: string;
  accessToken: string;
  accessExpiresAt_ms: number;
  /** Always the most recent refresh token QuickBooks returned (older ones die 24 h later). */
  refreshToken: string;
  refreshExpiresAt_ms: number;
  /** Five-year absolute cap, when QuickBooks reports it. */
  refreshHardExpiresAt_ms?: number | undefined;
  status: ConnectionStatus;
  /** Why the connection needs attention, for the operator. */
  statusReason?: string | undefined;
  updatedAt_ms: number;
}

/** Persistence of QuickBooks tokens, one connection per tenant. Implementations encrypt at rest. */
export interface TokenStore {
  get(tenantId: string): Promise<StoredConnection | undefined>;
  /** Writes the whole connection; a refresh must save the new refresh token in this one write. */
  save(connection: StoredConnection): Promise<void>;
  markNeedsReconnect(tenantId: string, reason: string): Promise<void>;
  remove(tenantId: string): Promise<void>;
  /**
   * Runs `fn` holding the connection's lock across every process (the PostgreSQL store locks the
   * row), with a store that reads and writes under that lock. Without it, refreshes are
   * single-flight within one process only.
   */
  withRefreshLock?<T>(tenantId: string, fn: (tokens: TokenStore) => Promise<T>): Promise<T>;
}

/** Single-use bookkeeping for OAuth `state` nonces. */
export interface OAuthStateStore {
  /** Records the nonce as used; resolves false if it was used before. */
  consumeNonce(nonce: string, expiresAt_ms: number): Promise<boolean>;
}

export class InMemoryTokenStore implements TokenStore {
  private readonly rows = new Map<string, StoredConnection>();
  async get(tenantId: string): Promise<StoredConnection | undefined> {
    const r = this.rows.get(tenantId);
    return r ? { ...r } : undefined;
  }
  async save(connection: StoredConnection): Promise<void> {
    this.rows.set(connection.tenantId, { ...connection });
  }
  async markNeedsReconnect(tenantId: string, reason: string): Promise<void> {
    const r = this.rows.get(tenantId);
    if (r) this.rows.set(tenantId, { ...r, status: 'needs_reconnect', statusReason: reason });
  }
  async remove(tenantId: string): Promise<void> {
    this.rows.delete(tenantId);
  }
}

export class InMemoryStateStore implements OAuthStateStore {
  private readonly used = new Map<string, number>();
  constructor(private readonly clock: Clock = systemClock) {}
  async consumeNonce(nonce: string, expiresAt_ms: number): Promise<boolean> {
    const now = this.clock.now_ms();
    for (const [k, exp] of this.used) if (exp < now) this.used.delete(k);
    if (this.used.has(nonce)) return false;
    this.used.set(nonce, expiresAt_ms);
    return true;
  }
}

/** Test hook: intuit-oauth retries token calls 3 times with 1/2/4 s delays (`docs/quickbooks.md §1`). */
export function configureOAuthRetries(opts: { retryDelay_ms?: number; maxRetries?: number }): void {
  const rc = (OAuthClient as unknown as { retryConfig: { retryDelay: number; maxRetries: number } }).retryConfig;
  if (opts.retryDelay_ms !== undefined) rc.retryDelay = opts.retryDelay_ms;
  if (opts.maxRetries !== undefined) rc.maxRetries = opts.maxRetries;
}

export interface QboOAuthOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  environment?: 'sandbox' | 'production';
  /** HMAC key for `state`; at least 32 bytes of secret material. */
  stateSecret: string;
  tokens: TokenStore;
  states: OAuthStateStore;
  clock?: Clock;
}

interface TokenJson {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  x_refresh_token_expires_in?: number;
  x_refresh_token_hard_expires_in?: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function tokenErrorCode(e: unknown): string | undefined {
  const err = e as any;
  return err?.error || err?.authResponse?.json?.error || undefined;
}

/** OAuth for QuickBooks connections. */
export class QboOAuth {
  private readonly clock: Clock;
  private readonly inflight = new Map<string, Promise<StoredConnection>>();
  /** Number of refresh calls actually sent to Intuit (single-flight makes this observable). */
  refreshCalls = 0;

  constructor(private readonly opts: QboOAuthOptions) {
    if (Buffer.byteLength(opts.stateSecret) < 32)
      throw new AccrueError('not_configured', 'OAuth state secret must be at least 32 bytes');
    this.clock = opts.clock ?? systemClock;
  }

  private client(): any {
    currentEndpoints();
    const Ctor = OAuthClient as unknown as new (cfg: Record<string, unknown>) => any;
    return new Ctor({
      clientId: this.opts.clientId,
      clientSecret: this.opts.clientSecret,
      environment: this.opts.environment ?? 'production',
      redirectUri: this.opts.redirectUri,
      logging: false,
    });
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.opts.stateSecret).update(payload).digest('base64url');
  }

  /** Makes the consent URL for a tenant with a signed, expiring, single-use `state`. */
  authorizationUrl(tenantId: string): { url: string; state: string } {
    if (!tenantId || tenantId.length > TENANT_ID_CHARS_MAX) throw new AccrueError('invalid_input', 'bad tenant id');
    const payload = Buffer.from(
      JSON.stringify({
        t: tenantId,
        n: randomBytes(STATE_NONCE_BYTES).toString('base64url'),
        e: this.clock.now_ms() + OAUTH_STATE_TTL_MS,
      }),
    ).toString('base64url');
    const state = `${payload}.${this.sign(payload)}`;
    const url: string = this.client().authorizeUri({ scope: [QBO_SCOPE], state });
    return { url, state };
  }

  /** Checks a `state` (signature, expiry, first use) and returns the tenant it was made for. */
  async verifyState(state: string): Promise<string> {
    const [payload, mac] = state.split('.');
    if (!payload || !mac) throw new AccrueError('forbidden', 'OAuth state is malformed');
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      throw new AccrueError('forbidden', 'OAuth state signature is invalid');
    let parsed: { t?: unknown; n?: unknown; e?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof parsed;
    } catch {
      throw new AccrueError('forbidden', 'OAuth state is malformed');
    }
    if (typeof parsed.t !== 'string' || typeof parsed.n !== 'string' || typeof parsed.e !== 'number')
      throw new AccrueError('forbidden', 'OAuth state is malformed');
    if (parsed.e < this.clock.now_ms())
      throw new AccrueError('forbidden', 'OAuth state has expired; start the connection again');
    if (!(await this.opts.states.consumeNonce(parsed.n, parsed.e)))
      throw new AccrueError('forbidden', 'OAuth state was already used');
    return parsed.t;
  }

  private toConnection(
    tenantId: string,
    realmId: string,
    json: TokenJson,
    previous?: StoredConnection,
  ): StoredConnection {
    const now = this.clock.now_ms();
    if (!json.access_token || !json.refresh_token)
      throw new AccrueError('upstream_unavailable', 'QuickBooks token response lacks tokens');
    return {
      tenantId,
      realmId,
      accessToken: json.access_token,
      accessExpiresAt_ms: now + (json.expires_in ?? 3600) * 1000,
      refreshToken: json.refresh_token,
      refreshExpiresAt_ms: now + (json.x_refresh_token_expires_in ?? 0) * 1000,
      refreshHardExpiresAt_ms:
        json.x_refresh_token_hard_expires_in !== undefined
          ? now + json.x_refresh_token_hard_expires_in * 1000
          : previous?.refreshHardExpiresAt_ms,
      status: 'active',
      updatedAt_ms: now,
    };
  }

  /**
   * Completes the consent: verifies `state`, exchanges the code once, saves the tokens.
   * `callbackUrl` is the full URL (or query string) Intuit redirected to.
   */
  async handleCallback(callbackUrl: string): Promise<{ tenantId: string; realmId: string }> {
    const query = new URLSearchParams(
      callbackUrl.includes('?') ? callbackUrl.slice(callbackUrl.indexOf('?') + 1) : callbackUrl,
    );
    const state = query.get('state') ?? '';
    const tenantId = await this.verifyState(state);
    const denied = query.get('error');
    if (denied) throw new AccrueError('forbidden', `QuickBooks consent was not given (${denied})`);
    const code = query.get('code');
    const realmId = query.get('realmId');
    if (!code || !realmId) throw new AccrueError('invalid_input', 'QuickBooks callback lacks code or realmId');
    let json: TokenJson;
    try {
      const resp = await this.client().createToken(callbackUrl);
      json = resp.getJson() as TokenJson;
    } catch (e) {
      if (tokenErrorCode(e) === 'invalid_grant')
        throw new AccrueError(
          'forbidden',
          'QuickBooks refused the authorization code (already used or expired)',
          undefined,
          { cause: e },
        );
      throw new AccrueError(
        'upstream_unavailable',
        `QuickBooks token exchange failed: ${(e as Error).message}`,
        undefined,
        { cause: e },
      );
    }
    await this.opts.tokens.save(this.toConnection(tenantId, realmId, json));
    return { tenantId, realmId };
  }

  /**
   * Refreshes the connection's tokens. Concurrent callers share one request: two refreshes with
   * the same refresh token race, and the loser can kill the grant (`docs/quickbooks.md §1`).
   * Within this process they share the promise; across processes the store's lock orders them and
   * the later one uses what the first saved. `seen` is the connection as the caller last read it.
   */
  refresh(tenantId: string, seen?: StoredConnection): Promise<StoredConnection> {
    const running = this.inflight.get(tenantId);
    if (running) return running;
    const p = this.doRefresh(tenantId, seen).finally(() => this.inflight.delete(tenantId));
    this.inflight.set(tenantId, p);
    return p;
  }

  /**
   * One refresh under the connection's lock. A process that waited for the lock while another one
   * refreshed finds a new refresh token and uses the tokens saved with it instead of refreshing
   * again with a superseded one. A failure is thrown after the lock is released, so that marking
   * the connection `needs_reconnect` commits.
   */
  private async doRefresh(tenantId: string, known?: StoredConnection): Promise<StoredConnection> {
    const seen = known ?? (await this.opts.tokens.get(tenantId));
    const locked =
      this.opts.tokens.withRefreshLock?.bind(this.opts.tokens) ??
      (<T>(_: string, fn: (tokens: TokenStore) => Promise<T>) => fn(this.opts.tokens));
    const outcome = await locked(tenantId, (tokens) => this.refreshLocked(tokens, tenantId, seen));
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  private async refreshLocked(
    tokens: TokenStore,
    tenantId: string,
    seen: StoredConnection | undefined,
  ): Promise<StoredConnection | AccrueError> {
    const conn = await tokens.get(tenantId);
    if (!conn) return new AccrueError('not_configured', 'QuickBooks is not connected for this tenant');
    if (conn.status !== 'active') {
      return new AccrueError('unauthorized', 'QuickBooks connection needs to be reconnected', {
        status: conn.status,
        reason: conn.statusReason,
      });
    }
    // Saved by another process since the caller read it (QuickBooks rotates the refresh token only daily, the access token every time).
    const savedSince = seen && (conn.accessToken !== seen.accessToken || conn.refreshToken !== seen.refreshToken);
    if (savedSince && conn.accessExpiresAt_ms > this.clock.now_ms()) return conn;
    let json: TokenJson;
    try {
      this.refreshCalls++;
      const resp = await this.client().refreshUsingToken(conn.refreshToken);
      json = resp.getJson() as TokenJson;
    } catch (e) {
      if (tokenErrorCode(e) === 'invalid_grant') {
        await tokens.markNeedsReconnect(tenantId, 'invalid_grant');
        const details = { status: 'needs_reconnect', reason: 'invalid_grant' };
        return new AccrueError('unauthorized', 'QuickBooks connection needs to be reconnected', details, { cause: e });
      }
      return new AccrueError(
        'upstream_unavailable',
        `QuickBooks token refresh failed: ${(e as Error).message}`,
        undefined,
        { cause: e },
      );
    }
    // Keep the NEW refresh token, whatever came back, in the same write as the access token.
    const next = this.toConnection(tenantId, conn.realmId, json, conn);
    await tokens.save(next);
    return next;
  }

  /** An access token good for at least the refresh margin, refreshing when needed. */
  async accessToken(tenantId: string): Promise<{ accessToken: string; realmId: string }> {
    const conn = await this.opts.tokens.get(tenantId);
    if (!conn) throw new AccrueError('not_configured', 'QuickBooks is not connected for this tenant');
    if (conn.status !== 'active') {
      throw new AccrueError('unauthorized', 'QuickBooks connection needs to be reconnected', {
        status: conn.status,
        reason: conn.statusReason,
      });
    }
    if (conn.accessExpiresAt_ms - ACCESS_TOKEN_REFRESH_MARGIN_MS > this.clock.now_ms())
      return { accessToken: conn.accessToken, realmId: conn.realmId };
    const fresh = await this.refresh(tenantId, conn);
    return { accessToken: fresh.accessToken, realmId: fresh.realmId };
  }

  /** Revokes the grant at Intuit and forgets the tokens. */
  async revoke(tenantId: string): Promise<void> {
    const conn = await this.opts.tokens.get(tenantId);
    if (!conn) return;
    try {
      await this.client().revoke({ refresh_token: conn.refreshToken });
    } catch (e) {
      // A grant that is already dead is as revoked as it gets; anything else must be retried.
      if (tokenErrorCode(e) !== 'invalid_grant') {
        throw new AccrueError('upstream_unavailable', `QuickBooks revoke failed: ${(e as Error).message}`, undefined, {
          cause: e,
        });
      }
    }
    await this.opts.tokens.remove(tenantId);
  }
}
