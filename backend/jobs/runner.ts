/**
 * Background work on pg-boss, in the same PostgreSQL as the books.
 *
 * Jobs are enqueued inside the transaction of the write that causes them (`send(tx, …)`), so a
 * rolled-back write never leaves a job behind and a committed one never lacks its job. Claims use
 * FOR UPDATE SKIP LOCKED, so two worker processes never run the same job. Per-tenant work is
 * serialized with `stately` queues keyed by tenant (at most one queued and one active job per
 * tenant). Per-tenant schedules run in the tenant's reporting time zone.
 */
import { CompiledQuery } from 'kysely';
import { PgBoss, type Db as IDatabase, type Job, type SendOptions, type WorkOptions } from 'pg-boss';
import type { Db, Tx } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';

/** Queue names and what each does. */
export const QUEUES = {
  /** Process a tenant's Stripe inbox in order. */
  inbox: 'stripe-inbox',
  /** Release recognized revenue for a tenant through a date. */
  release: 'release',
  /** Post a tenant's journal to QuickBooks. */
  sync: 'qbo-sync',
  /** Compare the ledger with QuickBooks. */
  reconcile: 'reconcile',
  /** Bring a tenant's Stripe history in. */
  backfill: 'backfill',
  /** The daily per-tenant tick (in the tenant's time zone): release, auto-close, sync. */
  tick: 'tenant-tick',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Per-tenant queues: one queued and one active job per tenant at a time. */
const STATELY: QueueName[] = [
  QUEUES.inbox,
  QUEUES.release,
  QUEUES.sync,
  QUEUES.reconcile,
  QUEUES.backfill,
  QUEUES.tick,
];

/** Attempts before a job lands in the dead-letter queue, and the base backoff in seconds. */
const JOB_RETRIES_MAX = 5;
const RETRY_DELAY_SECONDS = 2;
/**
 * The inbox drain fails only on transport (a poison event fails alone, inside the drain), and a
 * process killed or cut off from the database mid-drain costs its job one attempt through the
 * heartbeat. So the drain gets more attempts, spaced at most a minute apart: it rides out about a
 * quarter of an hour of database trouble before its job is dead-lettered (seen in the fault
 * simulator: two kills and two dropped connections used up five attempts).
 */
const INBOX_RETRIES_MAX = 20;
const RETRY_DELAY_MAX_SECONDS = 60;
/** A job running longer than this is presumed stuck and retried, even while its process lives. */
const EXPIRE_SECONDS = 15 * 60;
/**
 * Every active job's process refreshes its heartbeat every `HEARTBEAT_SECONDS / 2`; a job whose
 * heartbeat is older than this is failed (and retried) by whichever process supervises next, so the
 * job of a process that died (kill -9, lost machine) is taken over within seconds, not at expiry.
 * pg-boss refuses less than 10.
 */
export const HEARTBEAT_SECONDS = 10;
/** How often a supervising process looks for jobs with a stale heartbeat (pg-boss's monitor pass). */
const MONITOR_INTERVAL_SECONDS = 2;
/** How long graceful shutdown waits for jobs in flight. */
const STOP_TIMEOUT_MS = 30_000;
export const DEAD_LETTER_QUEUE = 'dead-letter';

/** Runs pg-boss statements inside one of our Kysely transactions. */
export function inTransaction(tx: Tx | Db): IDatabase {
  return {
    async executeSql(text: string, values?: unknown[]) {
      const r = await tx.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: r.rows as unknown[] as never[] };
    },
  };
}

export interface JobsOptions {
  url: string;
  log?: Logger | undefined;
  /** Run the cron scheduler in this process (servers and workers do; one-shot CLI commands do not). */
  schedule?: boolean;
  /** Run maintenance (expiry, retention) in this process. */
  supervise?: boolean;
  pollingIntervalSeconds?: number;
}

export type Handler<T> = (job: Job<T>) => Promise<unknown>;

export class Jobs {
  readonly boss: PgBoss;
  private readonly log: Logger | undefined;
  private readonly polling: number;
  private started = false;

  constructor(opts: JobsOptions) {
    this.log = opts.log;
    this.polling = opts.pollingIntervalSeconds ?? 0.5;
    this.boss = new PgBoss({
      connectionString: opts.url,
      schedule: opts.schedule ?? false,
      supervise: opts.supervise ?? false,
      superviseIntervalSeconds: MONITOR_INTERVAL_SECONDS,
      monitorIntervalSeconds: MONITOR_INTERVAL_SECONDS,
      max: 6,
      application_name: 'accrue-jobs',
      // Wake workers the moment a job is created instead of waiting for the next poll: this is
      // what keeps webhook-to-ledger freshness within a couple of seconds.
      useListenNotify: true,
    });
    this.boss.on('error', (err: unknown) => this.log?.error({ err }, 'job queue error'));
  }

  /** Starts pg-boss (installing its schema on first use) and creates our queues. */
  async start(): Promise<this> {
    if (this.started) return this;
    await this.boss.start();
    await this.boss.createQueue(DEAD_LETTER_QUEUE).catch(ignoreExists);
    for (const name of Object.values(QUEUES)) {
      const settings = {
        retryLimit: name === QUEUES.inbox ? INBOX_RETRIES_MAX : JOB_RETRIES_MAX,
        retryDelay: RETRY_DELAY_SECONDS,
        retryDelayMax: RETRY_DELAY_MAX_SECONDS,
        retryBackoff: true,
        expireInSeconds: EXPIRE_SECONDS,
        heartbeatSeconds: HEARTBEAT_SECONDS,
        notify: true,
      };
      const policy = STATELY.includes(name) ? 'stately' : 'standard';
      await this.boss.createQueue(name, { ...settings, policy, deadLetter: DEAD_LETTER_QUEUE }).catch(ignoreExists);
      // createQueue leaves an existing queue as an earlier version made it (no heartbeat): bring it up to date.
      await this.boss.updateQueue(name, settings);
    }
    this.started = true;
    return this;
  }

  /**
   * Enqueues a job inside the caller's transaction (or on the pool when `tx` is the Db).
   * Per-tenant queues need `tenantKey`; a second request while one is queued is dropped.
   */
  async send(
    tx: Tx | Db,
    queue: QueueName,
    data: object,
    opts: { tenantKey?: string; startAfterSeconds?: number } = {},
  ): Promise<string | null> {
    const o: SendOptions = { db: inTransaction(tx) };
    if (opts.tenantKey) o.singletonKey = opts.tenantKey;
    if (opts.startAfterSeconds) o.startAfter = opts.startAfterSeconds;
    return this.boss.send(queue, data, o);
  }

  /** Registers a handler: `concurrency` fetch loops, each taking up to `batchSize` jobs at a time. */
  async work<T>(
    queue: QueueName | string,
    handler: Handler<T>,
    opts: { concurrency?: number; batchSize?: number } = {},
  ): Promise<string> {
    const batchSize = opts.batchSize ?? 1;
    const wo: WorkOptions = {
      pollingIntervalSeconds: this.polling,
      notifyPollingIntervalSeconds: 5,
      localConcurrency: opts.concurrency ?? 2,
      batchSize,
      burstWhenBatchFull: batchSize > 1,
    };
    return this.boss.work<T>(queue, wo, async (jobs) => {
      for (const job of jobs) {
        try {
          await handler(job);
        } catch (err) {
          this.log?.warn({ err, queue, jobId: job.id }, 'job failed; it will be retried');
          throw err;
        }
      }
    });
  }

  /** A per-tenant schedule in the tenant's time zone (replaces an earlier one for that tenant). */
  async scheduleTenant(queue: QueueName, tenantKey: string, cron: string, tz: string, data: object): Promise<void> {
    await this.boss.schedule(queue, cron, data, { tz, key: tenantKey, singletonKey: tenantKey, missed: 'once' });
  }

  async unscheduleTenant(queue: QueueName, tenantKey: string): Promise<void> {
    await this.boss.unschedule(queue, tenantKey);
  }

  /** Graceful stop: stops fetching, waits for jobs in flight, then closes. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, timeout: STOP_TIMEOUT_MS, close: true });
  }
}

function ignoreExists(e: unknown): void {
  if (!/already exists/i.test(String((e as Error)?.message ?? e))) throw e;
}
