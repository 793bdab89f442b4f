/**
 * PostgreSQL implementations of the QuickBooks stores (backend/qbo): connections with tokens
 * encrypted at rest (AES-256-GCM; the ciphertext names its key so keys can rotate), single-use
 * OAuth nonces, and the sync record of every QuickBooks write.
 */
import { sql } from 'kysely';
import type { OAuthStateStore, StoredConnection, TokenStore } from '../qbo/oauth.ts';
import type { PendingInput, SyncRecord, SyncState, SyncStore } from '../qbo/sync-store.ts';
import type { Encryptor } from '../security/encryption.ts';
import type { Db, Tx } from './database.ts';
import type { Currency } from '../../shared/money.ts';

interface Secrets {
  accessToken: string;
  refreshToken: string;
}

export class PgTokenStore implements TokenStore {
  constructor(
    private readonly db: Db | Tx,
    private readonly enc: Encryptor,
  ) {}

  /** Holds the connection's row lock (FOR UPDATE) for `fn`, which reads and writes in that transaction. */
  async withRefreshLock<T>(tenantId: string, fn: (tokens: TokenStore) => Promise<T>): Promise<T> {
    const run = async (tx: Tx) => {
      await tx
        .selectFrom('qbo_connections')
        .select('tenant_id')
        .where('tenant_id', '=', BigInt(tenantId))
        .forUpdate()
        .execute();
      return fn(new PgTokenStore(tx, this.enc));
    };
    return this.db.isTransaction ? run(this.db as Tx) : this.db.transaction().execute(run);
  }

  async get(tenantId: string): Promise<StoredConnection | undefined> {
    const r = await this.db
      .selectFrom('qbo_connections')
      .selectAll()
      .where('tenant_id', '=', BigInt(tenantId))
      .executeTakeFirst();
    if (!r) return undefined;
    const secrets = JSON.parse(this.enc.decrypt(r.tokens_ciphertext)) as Secrets;
    return {
      tenantId,
      realmId: r.realm_id,
      accessToken: secrets.accessToken,
      refreshToken: secrets.refreshToken,
      accessExpiresAt_ms: r.access_expires_at.getTime(),
      refreshExpiresAt_ms: r.refresh_expires_at.getTime(),
      refreshHardExpiresAt_ms: r.refresh_hard_expires_at?.getTime(),
      status: r.status,
      statusReason: r.status_reason ?? undefined,
      updatedAt_ms: r.updated_at.getTime(),
    };
  }

  async save(c: StoredConnection): Promise<void> {
    const row = {
      tenant_id: BigInt(c.tenantId),
      realm_id: c.realmId,
      tokens_ciphertext: this.enc.encrypt(
        JSON.stringify({ accessToken: c.accessToken, refreshToken: c.refreshToken } satisfies Secrets),
      ),
      access_expires_at: new Date(c.accessExpiresAt_ms),
      refresh_expires_at: new Date(c.refreshExpiresAt_ms),
      refresh_hard_expires_at: c.refreshHardExpiresAt_ms ? new Date(c.refreshHardExpiresAt_ms) : null,
      status: c.status,
      status_reason: c.statusReason ?? null,
      last_cdc_at: null,
    };
    const { tenant_id: _t, last_cdc_at: _l, ...update } = row;
    await this.db
      .insertInto('qbo_connections')
      .values(row)
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ ...update, updated_at: new Date() }))
      .execute();
  }

  async markNeedsReconnect(tenantId: string, reason: string): Promise<void> {
    await this.db
      .updateTable('qbo_connections')
      .set({ status: 'needs_reconnect', status_reason: reason, updated_at: new Date() })
      .where('tenant_id', '=', BigInt(tenantId))
      .execute();
  }

  async remove(tenantId: string): Promise<void> {
    await this.db.deleteFrom('qbo_connections').where('tenant_id', '=', BigInt(tenantId)).execute();
  }
}

export class PgStateStore implements OAuthStateStore {
  constructor(private readonly db: Db) {}
  async consumeNonce(nonce: string, expiresAt_ms: number): Promise<boolean> {
    await this.db.deleteFrom('qbo_oauth_nonces').where('expires_at', '<', new Date()).execute();
    const r = await this.db
      .insertInto('qbo_oauth_nonces')
      .values({ nonce, expires_at: new Date(expiresAt_ms) })
      .onConflict((oc) => oc.column('nonce').doNothing())
      .returning('nonce')
      .executeTakeFirst();
    return r !== undefined;
  }
}

type SyncRow = {
  tenant_id: bigint;
  realm_id: string;
  request_id: string;
  doc_number: string;
  period: string;
  txn_date: string;
  currency: Currency;
  lines_hash: string;
  source_entry_ids: string[];
  state: SyncState;
  qbo_id: string | null;
  sync_token: string | null;
  posted_lines_hash: string | null;
  reason: string | null;
  code: string | null;
  attempts: number;
  updated_at: Date;
};

function toRecord(r: SyncRow): SyncRecord {
  return {
    tenantId: r.tenant_id.toString(),
    realmId: r.realm_id,
    requestId: r.request_id,
    docNumber: r.doc_number,
    period: r.period,
    txnDate: r.txn_date,
    currency: r.currency,
    linesHash: r.lines_hash,
    sourceEntryIds: r.source_entry_ids,
    state: r.state,
    qboId: r.qbo_id ?? undefined,
    syncToken: r.sync_token ?? undefined,
    postedLinesHash: r.posted_lines_hash ?? undefined,
    reason: r.reason ?? undefined,
    code: r.code ?? undefined,
    attempts: r.attempts,
    updatedAt_ms: r.updated_at.getTime(),
  };
}

export class PgSyncStore implements SyncStore {
  constructor(private readonly db: Db) {}

  async get(realmId: string, requestId: string): Promise<SyncRecord | undefined> {
    const r = await this.db
      .selectFrom('qbo_sync')
      .selectAll()
      .where('realm_id', '=', realmId)
      .where('request_id', '=', requestId)
      .executeTakeFirst();
    return r ? toRecord(r as SyncRow) : undefined;
  }

  async markPending(input: PendingInput, now_ms: number): Promise<SyncRecord> {
    const now = new Date(now_ms);
    const r = await this.db
      .insertInto('qbo_sync')
      .values({
        tenant_id: BigInt(input.tenantId),
        realm_id: input.realmId,
        request_id: input.requestId,
        doc_number: input.docNumber,
        period: input.period,
        txn_date: input.txnDate,
        currency: input.currency,
        lines_hash: input.linesHash,
        source_entry_ids: input.sourceEntryIds,
        state: 'pending',
        qbo_id: null,
        sync_token: null,
        posted_lines_hash: null,
        reason: null,
        code: null,
        attempts: 1,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'realm_id', 'request_id']).doUpdateSet({
          state: sql`case when qbo_sync.state = 'posted' then qbo_sync.state else 'pending' end`,
          attempts: sql`case when qbo_sync.state = 'posted' then qbo_sync.attempts else qbo_sync.attempts + 1 end`,
          updated_at: now,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(r as SyncRow);
  }

  async markPosted(
    realmId: string,
    requestId: string,
    posted: { qboId: string; syncToken: string; linesHash: string },
    now_ms: number,
  ): Promise<void> {
    await this.db
      .updateTable('qbo_sync')
      .set({
        state: 'posted',
        qbo_id: posted.qboId,
        sync_token: posted.syncToken,
        posted_lines_hash: posted.linesHash,
        reason: null,
        code: null,
        updated_at: new Date(now_ms),
      })
      .where('realm_id', '=', realmId)
      .where('request_id', '=', requestId)
      .execute();
  }

  async markFailed(
    realmId: string,
    requestId: string,
    failure: { reason: string; code?: string | undefined },
    now_ms: number,
  ): Promise<void> {
    await this.db
      .updateTable('qbo_sync')
      .set({ state: 'failed', reason: failure.reason, code: failure.code ?? null, updated_at: new Date(now_ms) })
      .where('realm_id', '=', realmId)
      .where('request_id', '=', requestId)
      .execute();
  }

  async list(realmId: string, filter?: { state?: SyncState }): Promise<SyncRecord[]> {
    let q = this.db.selectFrom('qbo_sync').selectAll().where('realm_id', '=', realmId);
    if (filter?.state) q = q.where('state', '=', filter.state);
    const rows = await q.orderBy('txn_date').orderBy('request_id').execute();
    return rows.map((r) => toRecord(r as SyncRow));
  }
}
