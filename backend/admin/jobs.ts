/**
 * Admin use cases about background work: recent job runs and failures read from pg-boss's own
 * table (read-only SQL; pg-boss owns it), per-queue counts, and enqueueing a tenant's release,
 * reconcile or sync by hand.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { AccrueError } from '../../shared/errors.ts';
import { parseDate } from '../../shared/time.ts';
import type { Db } from '../db/database.ts';
import { DEAD_LETTER_QUEUE, QUEUES, type Jobs } from '../jobs/runner.ts';
import { resolvePeriod } from '../ledger/periods.ts';
import type { Tenant } from '../ledger/tenants.ts';
import { decodeCursor, toPage, type Page } from './paging.ts';
import type { Enqueued } from './quickbooks.ts';
import { redactSecrets } from './redact.ts';
import { hasTable, iso } from './util.ts';

const JOB_STATES = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;
/** Our queues: counts and filters cover these, nothing else that may share the pg-boss schema. */
const QUEUE_NAMES = [...Object.values(QUEUES), DEAD_LETTER_QUEUE] as unknown as [string, ...string[]];
const Timestamp = z.string().describe('ISO 8601 timestamp');

export const JobRun = z.object({
  id: z.string(),
  queue: z.string(),
  state: z.enum(JOB_STATES),
  tenantId: z.string().nullable(),
  data: z.unknown().describe('The job data, secrets redacted.'),
  retryCount: z.number().int(),
  createdAt: Timestamp,
  startedAt: Timestamp.nullable(),
  completedAt: Timestamp.nullable(),
  output: z.unknown().describe('What the job returned, or its error for failed runs (secrets redacted).'),
});
export type JobRun = z.infer<typeof JobRun>;

export const JobQuery = z.object({
  queue: z.enum(QUEUE_NAMES).optional(),
  state: z.enum(JOB_STATES).optional().describe('`failed` lists failures.'),
  tenantId: z
    .string()
    .regex(/^\d{1,18}$/)
    .optional(),
});

type JobRow = {
  id: string;
  name: string;
  state: JobRun['state'];
  data: unknown;
  retry_count: number;
  created_on: Date;
  created_text: string;
  started_on: Date | null;
  completed_on: Date | null;
  output: unknown;
};

/** Recent job runs, newest first. */
export async function listJobs(
  db: Db,
  f: z.infer<typeof JobQuery> & { limit: number; after?: string | undefined },
): Promise<Page<JobRun>> {
  if (!(await hasTable(db, 'pgboss.job'))) return { data: [], next: null };
  const conds = [sql`true`];
  if (f.queue) conds.push(sql`j.name = ${f.queue}`);
  if (f.state) conds.push(sql`j.state::text = ${f.state}`);
  if (f.tenantId) conds.push(sql`j.data->>'tenantId' = ${f.tenantId}`);
  if (f.after !== undefined) {
    const [created, id] = decodeCursor(f.after, 2);
    if (!created || Number.isNaN(Date.parse(created)) || !id || !/^[0-9a-f-]{36}$/.test(id))
      throw new AccrueError('invalid_input', 'after: not a cursor from this API');
    // The cursor keeps created_on as PostgreSQL printed it, so microseconds survive the round trip.
    conds.push(sql`(j.created_on, j.id) < (${created}::timestamptz, ${id}::uuid)`);
  }
  const rows = await sql<JobRow>`
    select j.id::text as id, j.name, j.state::text as state, j.data, j.retry_count, j.created_on, j.created_on::text as created_text,
           j.started_on, j.completed_on, j.output
    from pgboss.job j where ${sql.join(conds, sql` and `)}
    order by j.created_on desc, j.id desc limit ${f.limit + 1}`.execute(db);
  return toPage(
    rows.rows,
    f.limit,
    (r) => [r.created_text, r.id],
    (r) => {
      const tenant = (r.data as { tenantId?: unknown } | null)?.tenantId;
      return {
        id: r.id,
        queue: r.name,
        state: r.state,
        tenantId: typeof tenant === 'string' ? tenant : null,
        data: redactSecrets(r.data),
        retryCount: r.retry_count,
        createdAt: r.created_on.toISOString(),
        startedAt: iso(r.started_on),
        completedAt: iso(r.completed_on),
        output: redactSecrets(r.output),
      };
    },
  );
}

export const QueueCounts = z.object({
  data: z.array(z.object({ queue: z.string(), state: z.enum(JOB_STATES), count: z.number().int() })),
});

/** How many jobs each of our queues holds in each state (pg-boss keeps finished jobs for a while). */
export async function jobCounts(db: Db): Promise<z.infer<typeof QueueCounts>> {
  if (!(await hasTable(db, 'pgboss.job'))) return { data: [] };
  const rows = await sql<{ name: string; state: JobRun['state']; n: bigint }>`
    select name, state::text as state, count(*) as n from pgboss.job where name = any(${QUEUE_NAMES}::text[])
    group by name, state order by name, state`.execute(db);
  return { data: rows.rows.map((r) => ({ queue: r.name, state: r.state, count: Number(r.n) })) };
}

export const ReleaseBody = z
  .object({
    through: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .describe('Release recognized revenue through this date (YYYY-MM-DD).'),
  })
  .strict();
export const OptionalPeriodBody = z
  .object({
    period: z
      .string()
      .regex(/^\d{4}-\d{2}(-\d{2})?$/)
      .optional()
      .describe('Period key (YYYY-MM) or a date inside it; default: all.'),
  })
  .strict();

async function enqueue(
  db: Db,
  jobs: Jobs,
  queue: (typeof QUEUES)[keyof typeof QUEUES],
  tenant: Tenant,
  data: Record<string, string>,
): Promise<Enqueued> {
  const jobId = await jobs.send(db, queue, data, { tenantKey: tenant.id.toString() });
  return { queue, jobId, queued: jobId !== null, data };
}

/** Enqueues a release of recognized revenue through a date. */
export async function triggerRelease(db: Db, jobs: Jobs, tenant: Tenant, through: string): Promise<Enqueued> {
  parseDate(through);
  return enqueue(db, jobs, QUEUES.release, tenant, { tenantId: tenant.id.toString(), through });
}

/** Enqueues a reconcile or a sync, of one period when one is named. */
export async function triggerTenantJob(
  db: Db,
  jobs: Jobs,
  queue: typeof QUEUES.reconcile | typeof QUEUES.sync,
  tenant: Tenant,
  period: string | undefined,
): Promise<Enqueued> {
  const data: Record<string, string> = { tenantId: tenant.id.toString() };
  if (period) data.period = resolvePeriod(tenant, period).key;
  return enqueue(db, jobs, queue, tenant, data);
}
