/**
 * The QuickBooks connect attempts this process started and has not seen finish, and the reason of
 * the last one that failed per tenant. It is the only mutable state of the App's use cases, and
 * only this class touches it. It lives in memory: a restart forgets the attempts, which costs at
 * most a "pending" status that is never shown (the OAuth state itself stays verifiable).
 */
import type { Clock } from '../../qbo/clock.ts';
import { OAUTH_STATE_TTL_MS } from '../../qbo/oauth.ts';

/**
 * Connects started but not yet finished that we remember per process. A merchant starts one at
 * a time; a thousand covers every tenant of a busy instance clicking within the 15-minute window
 * the state stays valid. Past it, the oldest attempts are forgotten first.
 */
export const PENDING_CONNECTS_MAX = 1_000;

export interface PendingConnect {
  tenantId: string;
  started_ms: number;
  expires_ms: number;
}

/** Why a connect attempt did not finish, shown in the status until the next attempt. */
export interface FailedConnect {
  at_ms: number;
  message: string;
}

export class ConnectAttempts {
  /** Attempts by their exact `state` string (we issued it, so it is the lookup key). */
  private readonly pending = new Map<string, PendingConnect>();
  private readonly failed = new Map<string, FailedConnect>();

  constructor(
    private readonly clock: Pick<Clock, 'now_ms'>,
    private readonly max = PENDING_CONNECTS_MAX,
  ) {}

  /**
   * Records a new attempt for `state`, valid as long as the OAuth state (`OAUTH_STATE_TTL_MS`);
   * clears the tenant's last failure. Returns the attempt.
   */
  start(state: string, tenantId: string): PendingConnect {
    const now = this.clock.now_ms();
    this.forgetExpired();
    const attempt = { tenantId, started_ms: now, expires_ms: now + OAUTH_STATE_TTL_MS };
    this.pending.set(state, attempt);
    this.failed.delete(tenantId);
    return attempt;
  }

  /**
   * Takes the attempt of `state` out (undefined when we never issued it or forgot it). One take per
   * state, whatever happens next: the first submission of a callback spends it.
   */
  take(state: string): PendingConnect | undefined {
    const attempt = this.pending.get(state);
    this.pending.delete(state);
    return attempt;
  }

  /** The tenant's latest attempt still within its validity, if any. */
  latestPending(tenantId: string): PendingConnect | undefined {
    const now = this.clock.now_ms();
    let latest: PendingConnect | undefined;
    for (const attempt of this.pending.values()) {
      if (attempt.tenantId !== tenantId || attempt.expires_ms <= now) continue;
      if (!latest || attempt.started_ms > latest.started_ms) latest = attempt;
    }
    return latest;
  }

  /** Remembers why the tenant's attempt failed, until its next attempt or a success. */
  recordFailure(tenantId: string, message: string): void {
    this.failed.set(tenantId, { at_ms: this.clock.now_ms(), message });
  }

  lastFailure(tenantId: string): FailedConnect | undefined {
    return this.failed.get(tenantId);
  }

  /** After a successful connect: the tenant's last failure no longer applies. */
  succeeded(tenantId: string): void {
    this.failed.delete(tenantId);
  }

  /** After a disconnect: forgets every attempt and failure of the tenant. */
  forgetTenant(tenantId: string): void {
    for (const [state, attempt] of this.pending) if (attempt.tenantId === tenantId) this.pending.delete(state);
    this.failed.delete(tenantId);
  }

  /** Attempts remembered now (expired ones included until the next start). */
  get size(): number {
    return this.pending.size;
  }

  /** Drops expired attempts, then the oldest (a Map keeps insertion order) while at the limit. */
  private forgetExpired(): void {
    const now = this.clock.now_ms();
    for (const [state, attempt] of this.pending) if (attempt.expires_ms <= now) this.pending.delete(state);
    while (this.pending.size >= this.max) {
      const first = this.pending.keys().next();
      if (first.done) break;
      this.pending.delete(first.value);
    }
  }
}
