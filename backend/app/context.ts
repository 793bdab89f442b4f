/**
 * Wires a running Accrue process: configuration, logger, database (embedded or DATABASE_URL),
 * job queue, Stripe access, and the job handlers. `accrue serve`, `accrue worker`, the CLI's
 * one-shot commands, `accrue replay` and the demo all start from here.
 */
import type Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';
import { describeConfig, type Config } from '../config/config.ts';
import { openDatabase, type Database, type Db } from '../db/database.ts';
import { Jobs, QUEUES } from '../jobs/runner.ts';
import { getTenant, getTenantById, type Tenant } from '../ledger/tenants.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { createStripeClient } from '../stripe/client.ts';
import { createStripeReader, type StripeReader } from '../stripe/reader.ts';
import { runBackfill } from './backfill.ts';
import { acceleratedWaits } from '../qbo/clock.ts';
import { scheduleTenant, tenantTick } from './schedule.ts';
import { hasActiveConnection, qboServices, reconcileTenant, syncTenant, type QboServices } from './qbo-sync.ts';
import { drainInbox, EVENT_ATTEMPTS_MAX, releaseThrough, type ProcessDeps } from './process.ts';

export interface AppContext {
  config: Config;
  log: Logger;
  database: Database;
  db: Db;
  jobs: Jobs;
  stripe: Stripe | null;
  /** QuickBooks services; null when QuickBooks or ACCRUE_ENCRYPTION_KEY is not configured. */
  qbo: QboServices | null;
  process: ProcessDeps;
  tenant(accountId: string, livemode?: boolean): Promise<Tenant>;
  close(): Promise<void>;
}

export interface ContextOptions {
  config: Config;
  log?: Logger;
  /** Run job handlers in this process. */
  workers?: boolean;
  /** Run the scheduler (cron) in this process. */
  schedule?: boolean;
  /** Overrides the Stripe reader (replay and tests use a fake-backed or in-memory one). */
  readerFor?: (tenant: Tenant) => StripeReader;
  /** Worker concurrency per queue. */
  concurrency?: number;
  /** Events committed per transaction by the inbox processing (tests use small batches). */
  eventsPerTransaction?: number;
}

export async function openContext(opts: ContextOptions): Promise<AppContext> {
  const config = opts.config;
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.ACCRUE_DATA_DIR, log });
  const stripe = config.STRIPE_SECRET_KEY
    ? createStripeClient({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE })
    : null;
  const jobs = new Jobs({
    url: database.url,
    log: log.child({ part: 'jobs' }),
    schedule: opts.schedule ?? false,
    supervise: opts.workers ?? false,
  });
  await jobs.start();

  const readerFor =
    opts.readerFor ??
    ((tenant: Tenant) => {
      if (!stripe)
        throw new AccrueError(
          'not_configured',
          'STRIPE_SECRET_KEY is not configured, so Stripe objects cannot be read',
        );
      return createStripeReader(stripe, tenant.accountId);
    });
  const waits = config.ACCRUE_WAIT_SPEEDUP > 1 ? acceleratedWaits(config.ACCRUE_WAIT_SPEEDUP) : undefined;
  const qbo = qboServices(config, database.db, waits);
  const processDeps: ProcessDeps = {
    db: database.db,
    jobs,
    log: log.child({ part: 'process' }),
    readerFor,
    eventsPerTransaction: opts.eventsPerTransaction,
    // New entries for a tenant connected to QuickBooks get a sync job in the same transaction.
    afterPost: async (tx, tenant) => {
      if (qbo && (await hasActiveConnection(tx, tenant.id)))
        await jobs.send(tx, QUEUES.sync, { tenantId: tenant.id.toString() }, { tenantKey: tenant.id.toString() });
    },
  };

  if (opts.workers) await startWorkers(opts, { database, jobs, stripe, qbo, log, processDeps });

  const summary = describeConfig(config);
  log.info(
    {
      configured: summary.configured,
      notConfigured: summary.missing,
      database: database.embedded ? 'embedded' : 'DATABASE_URL',
    },
    'accrue context ready',
  );

  return {
    config,
    log,
    database,
    db: database.db,
    jobs,
    stripe,
    qbo,
    process: processDeps,
    tenant: (accountId, livemode = false) => getTenant(database.db, { accountId, livemode }),
    async close() {
      await jobs.stop().catch((e: unknown) => log.warn({ err: e }, 'job runner did not stop cleanly'));
      await database.close();
    },
  };
}

/** What the job handlers need from the opened context. */
interface WorkerParts {
  database: Database;
  jobs: Jobs;
  stripe: Stripe | null;
  qbo: QboServices | null;
  log: Logger;
  processDeps: ProcessDeps;
}

/** Registers the job handlers for every queue, and with `opts.schedule` schedules the active tenants. */
async function startWorkers(opts: ContextOptions, parts: WorkerParts): Promise<void> {
  const { database, jobs, stripe, qbo, log, processDeps } = parts;
  const concurrency = opts.concurrency ?? 2;
  const scheduled = new Set<string>();
  await jobs.work<{ tenantId: string }>(
    QUEUES.inbox,
    async (job) => {
      const r = await drainInbox(processDeps, BigInt(job.data.tenantId));
      // A tenant gets its daily tick the first time this process processes its events.
      if (opts.schedule && !scheduled.has(job.data.tenantId)) {
        await scheduleTenant(jobs, await getTenantById(database.db, BigInt(job.data.tenantId)));
        scheduled.add(job.data.tenantId);
      }
      if (r.deferred) {
        const retry = `${r.deferred} event(s) will be retried (at most ${EVENT_ATTEMPTS_MAX} attempts)`;
        throw new AccrueError('upstream_unavailable', `Stripe was unavailable; ${retry}`);
      }
    },
    { concurrency },
  );
  await jobs.work<{ tenantId: string; through: string }>(QUEUES.release, async (job) => {
    await releaseThrough(processDeps, BigInt(job.data.tenantId), job.data.through);
  });
  await jobs.work<{ tenantId: string; since?: number }>(QUEUES.backfill, async (job) => {
    if (!stripe) throw new AccrueError('not_configured', 'STRIPE_SECRET_KEY is not configured; cannot backfill');
    await runBackfill({ db: database.db, jobs, stripe, log }, BigInt(job.data.tenantId), { since: job.data.since });
  });
  await jobs.work<{ tenantId: string; period?: string }>(QUEUES.sync, async (job) => {
    if (!qbo) return;
    await syncTenant({ db: database.db, qbo, log }, BigInt(job.data.tenantId), { period: job.data.period });
  });
  await jobs.work<{ tenantId: string; tz?: string }>(QUEUES.tick, async (job) => {
    const tenant = await getTenantById(database.db, BigInt(job.data.tenantId));
    if (job.data.tz && job.data.tz !== tenant.settings.reporting_time_zone) await scheduleTenant(jobs, tenant);
    await tenantTick({ db: database.db, jobs, process: processDeps, log }, tenant.id);
  });
  if (opts.schedule) {
    const active = await database.db.selectFrom('tenants').select('id').where('status', '=', 'active').execute();
    for (const t of active) await scheduleTenant(jobs, await getTenantById(database.db, t.id));
  }
  await jobs.work<{ tenantId: string }>(QUEUES.reconcile, async (job) => {
    if (!qbo) return;
    await reconcileTenant({ db: database.db, qbo, log }, BigInt(job.data.tenantId));
  });
}
