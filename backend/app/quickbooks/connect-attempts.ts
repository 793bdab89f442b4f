/**
 * The QuickBooks connect attempts the App started and has not seen finish, and the reason of the
 * last one that failed per tenant. It is the only mutable state of the App's use cases, and only
 * this class touches it. It lives in PostgreSQL (`qbo_connect_attempts`, `qbo_connect_failures`),
 * so the web process that answers Intuit's redirect need not be the one that started the attempt,
 * and a restart forgets nothing. An attempt is stored under a hash of its `state`, never the state.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../qbo/clock.ts';
import { OAUTH_STATE_TTL_MS } from '../../qbo/oauth.ts';

/**
 * Connects started but not yet finished that we remember. A merchant starts one at a time; a
 * thousand covers every tenant of a busy instance clicking within the 15-minute window the state
 * stays valid. Past it, the oldest attempts are forgotten first.
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

const hashOf = (state: string) => createHash('sha256').update(state).digest('hex');

type AttemptRow = { tenant_id: bigint; started_at: Date; expires_at: Date };
const toPending = (r: AttemptRow): PendingConnect => ({
  tenantId: r.tenant_id.toString(),
  started_ms: r.started_at.getTime(),
  expires_ms: r.expires_at.getTime(),
});

export class ConnectAttempts {
  constructor(
    private readonly db: Db,
    private readonly clock: Pick<Clock, 'now_ms'>,
    private readonly max = PENDING_CONNECTS_MAX,
  ) {}

  /**
   * Records a new attempt for `state`, valid as long as the OAuth state (`OAUTH_STATE_TTL_MS`);
   * clears the tenant's last failure. Returns the attempt.
   */
  async start(state: string, tenantId: string): Promise<PendingConnect> {
    const now = this.clock.now_ms();
    const attempt = { tenantId, started_ms: now, expires_ms: now + OAUTH_STATE_TTL_MS };
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('qbo_connect_attempts').where('expires_at', '<=', new Date(now)).execute();
      await tx
        .insertInto('qbo_connect_attempts')
        .values({
          tenant_id: BigInt(tenantId),
          state_hash: hashOf(state),
          started_at: new Date(now),
          expires_at: new Date(attempt.expires_ms),
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'state_hash']).doNothing())
        .execute();
      const keep = tx
        .selectFrom('qbo_connect_attempts')
        .select('state_hash')
        .orderBy('started_at', 'desc')
        .limit(this.max);
      await tx.deleteFrom('qbo_connect_attempts').where('state_hash', 'not in', keep).execute();
      await tx.deleteFrom('qbo_connect_failures').where('tenant_id', '=', BigInt(tenantId)).execute();
    });
    return attempt;
  }

  /**
   * Takes the attempt of `state` out (undefined when we never issued it or forgot it). One take per
   * state, whatever happens next: the first submission of a callback spends it.
   */
  async take(state: string): Promise<PendingConnect | undefined> {
    const r = await this.db
      .deleteFrom('qbo_connect_attempts')
      .where('state_hash', '=', hashOf(state))
      .returning(['tenant_id', 'started_at', 'expires_at'])
      .executeTakeFirst();
    return r ? toPending(r) : undefined;
  }

  /** The tenant's latest attempt still within its validity, if any. */
  async latestPending(tenantId: string): Promise<PendingConnect | undefined> {
    const r = await this.db
      .selectFrom('qbo_connect_attempts')
      .select(['tenant_id', 'started_at', 'expires_at'])
      .where('tenant_id', '=', BigInt(tenantId))
      .where('expires_at', '>', new Date(this.clock.now_ms()))
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? toPending(r) : undefined;
  }

  /** Remembers why the tenant's attempt failed, until its next attempt or a success. */
  async recordFailure(tenantId: string, message: string): Promise<void> {
    const row = { tenant_id: BigInt(tenantId), failed_at: new Date(this.clock.now_ms()), message };
    await this.db
      .insertInto('qbo_connect_failures')
      .values(row)
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ failed_at: row.failed_at, message }))
      .execute();
  }

  async lastFailure(tenantId: string): Promise<FailedConnect | undefined> {
    const r = await this.db
      .selectFrom('qbo_connect_failures')
      .select(['failed_at', 'message'])
      .where('tenant_id', '=', BigInt(tenantId))
      .executeTakeFirst();
    return r ? { at_ms: r.failed_at.getTime(), message: r.message } : undefined;
  }

  /** After a successful connect: the tenant's last failure no longer applies. */
  async succeeded(tenantId: string): Promise<void> {
    await this.db.deleteFrom('qbo_connect_failures').where('tenant_id', '=', BigInt(tenantId)).execute();
  }

  /** After a disconnect: forgets every attempt and failure of the tenant. */
  async forgetTenant(tenantId: string): Promise<void> {
    await this.db.deleteFrom('qbo_connect_attempts').where('tenant_id', '=', BigInt(tenantId)).execute();
    await this.succeeded(tenantId);
  }

  /** Attempts remembered now (expired ones included until the next start). */
  async size(): Promise<number> {
    const r = await this.db
      .selectFrom('qbo_connect_attempts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
