/**
 * The core commands: serve, worker, migrate, replay, report, export, release, period, tenants,
 * backfill, sync, reconcile (`demo` is in demo.ts). What a command runs is imported when it runs
 * (`await import`), so `accrue --help` loads no server, engine or database driver.
 */
import { writeFile } from 'node:fs/promises';
import { AccrueError } from '../../shared/errors.ts';
import type { Report, ReportFormat } from '../../shared/reports/index.ts';
import { addDays, localDateOf, startOfDay } from '../../shared/time.ts';
import { EXPORT_FORMATS, exportLedger, type ExportFormat } from '../exports/index.ts';
import { str, UsageError, type Command } from './framework.ts';
import { ROLE_DETAILS, serveRole, startServing } from './serve.ts';
import { demo } from './demo.ts';
import {
  checkWritableDir,
  checkWritableFile,
  cliContext,
  dateArg,
  demoHint,
  periodArg,
  TENANT_OPTIONS,
  tenantFrom,
  untilSignal,
} from './shared.ts';

const serve: Command = {
  name: 'serve',
  summary: 'Run the HTTP API (webhooks, Stripe App API, admin API) and/or the workers, by --role',
  usage: 'serve [--port N] [--role web|worker|all] [--no-workers]',
  details: ROLE_DETAILS,
  options: {
    port: { type: 'string', description: 'Port to listen on (overrides PORT)' },
    role: { type: 'string', description: 'web (HTTP only), worker (jobs only), or all (default)' },
    'no-workers': { type: 'boolean', description: 'Same as --role web' },
  },
  async run({ values }) {
    const [{ loadConfig }, { createLogger }] = await Promise.all([
      import('../config/config.ts'),
      import('../log/logger.ts'),
    ]);
    const config = loadConfig();
    const port = values.port !== undefined ? Number(values.port) : config.PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError('--port must be an integer from 0 to 65535');
    const role = serveRole(values);
    const log = createLogger(config.LOG_LEVEL);
    // Listen for the signal before starting: a SIGTERM that arrives while the server is starting
    // (a supervisor stopping a process it just restarted) still shuts it down cleanly.
    const stopping = untilSignal();
    const serving = await startServing({ config, log, role, port });
    const signal = await stopping;
    log.info({ signal }, 'shutting down: finishing requests and jobs in flight');
    await serving.close();
    return 0;
  },
};

const worker: Command = {
  name: 'worker',
  summary: 'Run the background workers only (inbox processing, release, sync, reconcile, backfill)',
  usage: 'worker',
  async run() {
    const stopping = untilSignal();
    const ctx = await cliContext({ workers: true, schedule: true });
    ctx.log.info('accrue worker running');
    await stopping;
    await ctx.close();
    return 0;
  },
};

const migrate: Command = {
  name: 'migrate',
  summary: 'Apply pending database migrations (they also run on start)',
  usage: 'migrate',
  async run() {
    const [{ loadConfig }, { createLogger }, { openDatabase }, { Jobs }] = await Promise.all([
      import('../config/config.ts'),
      import('../log/logger.ts'),
      import('../db/database.ts'),
      import('../jobs/runner.ts'),
    ]);
    const config = loadConfig();
    const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
    const database = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.ACCRUE_DATA_DIR,
      log,
      migrate: true,
    });
    const jobs = await new Jobs({ url: database.url, log }).start();
    await jobs.stop();
    const rows = await database.db
      .selectFrom('accrue_migrations' as never)
      .select(['name' as never])
      .execute();
    process.stdout.write(`database is at the latest version (${rows.length} migrations applied)\n`);
    await database.close();
    return 0;
  },
};

const replayCmd: Command = {
  name: 'replay',
  summary: 'Replay a JSONL file of Stripe events into fresh books and write the journal and reports as CSV',
  usage: 'replay <input.jsonl> --out <dir> [--through YYYY-MM-DD] [--settings <settings.json>]',
  details:
    'Lines with "object":"event" are Stripe events as delivered; other lines are Stripe API objects that a local\nStripe fake serves. Writes journal.csv, rollforward.csv, waterfall.csv and trial_balance.csv to <dir>.',
  options: {
    out: { type: 'string', description: 'Directory for the CSV files' },
    through: {
      type: 'string',
      description:
        'Release revenue for periods ending on or before this date (default: end of the month of the last event)',
    },
    settings: { type: 'string', description: 'Tenant settings as JSON' },
    'keep-db': { type: 'boolean', description: 'Keep the replay database for inspection' },
  },
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('give exactly one input file');
    const out = str(values.out, 'out', true)!;
    const through = dateArg(values.through, 'through');
    await checkWritableDir(out);
    const [{ loadConfig }, { createLogger }, { replay }, { createProgress }] = await Promise.all([
      import('../config/config.ts'),
      import('../log/logger.ts'),
      import('../app/replay.ts'),
      import('./progress.ts'),
    ]);
    const config = loadConfig();
    const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
    const t0 = Date.now();
    const progress = createProgress('replay');
    const r = await replay({
      input: positionals[0]!,
      out,
      through,
      settingsFile: str(values.settings, 'settings'),
      keepDatabase: values['keep-db'] === true,
      log,
      dataDir: config.ACCRUE_DATA_DIR,
      databaseUrl: config.DATABASE_URL,
      onProgress: (done, total) => progress.update(done, total, 'Stripe events delivered'),
    }).finally(() => progress.stop());
    process.stdout.write(
      `replayed ${r.events} events for ${r.tenant} in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${r.processed} processed, ${r.ignored} ignored, ${r.failed} failed\n` +
        `released through ${r.through}: ${r.entries} entries, ${r.lines} lines (deliver ${r.timings_ms.deliver} ms, drain ${r.timings_ms.drain} ms, release ${r.timings_ms.release} ms, write ${r.timings_ms.write} ms)\n` +
        (r.exceptions.length
          ? `exceptions (${r.exceptions.length}):\n${r.exceptions.map((e) => `  [${e.kind}] ${e.objectId}: ${e.reason}`).join('\n')}\n`
          : '') +
        `wrote ${r.files.join(', ')}${values['keep-db'] ? `\ndatabase kept: ${r.database}` : ''}\n`,
    );
    // Events that could not be booked are in the exception list above and in journal.csv's
    // absence; the replay itself succeeded, so the files are there to read.
    if (r.failed)
      process.stderr.write(`accrue replay: ${r.failed} event(s) could not be processed; see the exceptions above\n`);
    return 0;
  },
};

const REPORTS = [
  'trial-balance',
  'journal',
  'rollforward',
  'waterfall',
  'income-statement',
  'balance-sheet',
  'metrics',
  'rpo',
  'revenue',
] as const;

const report: Command = {
  name: 'report',
  summary:
    'Print a report from the ledger: trial balance, journal, deferred revenue roll-forward, waterfall, statements, SaaS metrics, remaining obligations (rpo), the revenue bridge',
  usage: `report <${REPORTS.join('|')}> --tenant acct_… [--live] [--period YYYY-MM] [--as-of YYYY-MM-DD] [--format table|csv|json]`,
  options: {
    ...TENANT_OPTIONS,
    period: {
      type: 'string',
      description: 'Period key (journal, income statement: that period; trial balance, balance sheet: through it)',
    },
    'as-of': {
      type: 'string',
      description: 'rpo: what is still to be earned as of this day (default: the last day released)',
    },
    format: { type: 'string', description: 'table, csv or json', default: 'table' },
  },
  async run({ values, positionals }) {
    const kind = positionals[0] as (typeof REPORTS)[number] | undefined;
    if (!kind || !REPORTS.includes(kind)) throw new UsageError(`name a report: ${REPORTS.join(', ')}`);
    const format = values.format as ReportFormat;
    if (!['table', 'csv', 'json'].includes(format)) throw new UsageError('--format must be table, csv or json');
    const [reports, { periodsBetween }, { loadLedgerLines }, { calendarOf, listPeriods }] = await Promise.all([
      import('../../shared/reports/index.ts'),
      import('../../shared/periods.ts'),
      import('../ledger/ledger.ts'),
      import('../ledger/periods.ts'),
    ]);
    const {
      balanceSheet,
      formatReport,
      incomeStatement,
      journal,
      revenueBridge,
      rollforward,
      trialBalance,
      waterfall,
    } = reports;
    const ctx = await cliContext();
    try {
      const tenant = await tenantFrom(ctx, values);
      const lines = await loadLedgerLines(ctx.db, tenant.id);
      const periods = await listPeriods(ctx.db, tenant.id);
      const lastKey = periods.at(-1)?.key;
      const period = periodArg(str(values.period, 'period'), '--period');
      if (period && !periods.some((p) => p.key === period))
        throw new AccrueError(
          'not_found',
          `no period ${period} in these books (periods: ${periods[0]?.key ?? 'none'} … ${lastKey ?? 'none'})`,
        );
      let r: Report;
      switch (kind) {
        case 'trial-balance':
          r = trialBalance(lines, { throughPeriod: period ?? lastKey });
          break;
        case 'journal':
          r = journal(lines, { period });
          break;
        case 'rollforward': {
          const cal = calendarOf(tenant.settings);
          const ps = periods.length ? periodsBetween(cal, periods[0]!.start, periods.at(-1)!.start) : [];
          r = rollforward(lines, { periods: ps });
          break;
        }
        case 'waterfall':
          r = waterfall(lines);
          break;
        case 'income-statement':
          if (!period && !lastKey) throw new AccrueError('not_found', 'the books have no periods yet');
          r = incomeStatement(lines, { period: (period ?? lastKey)!, presentation: tenant.settings });
          break;
        case 'balance-sheet':
          if (!period && !lastKey) throw new AccrueError('not_found', 'the books have no periods yet');
          r = balanceSheet(lines, { throughPeriod: (period ?? lastKey)! });
          break;
        case 'metrics': {
          if (!lastKey) throw new AccrueError('not_found', 'the books have no periods yet');
          const range = { fromMonth: periods[0]!.key, throughMonth: period ?? lastKey };
          const { metricsReport } = await import('../app/reports/metrics.ts');
          const { report: metrics, skipped } = await metricsReport(ctx.db, tenant, range);
          for (const s of skipped.slice(0, 20)) process.stderr.write(`note: ${JSON.stringify(s)}\n`);
          r = metrics;
          break;
        }
        case 'rpo': {
          const { rpoReport } = await import('../app/reports/rpo.ts');
          r = await rpoReport(ctx.db, tenant, { asOf: dateArg(str(values['as-of'], 'as-of'), 'as-of') });
          break;
        }
        case 'revenue':
          r = revenueBridge(lines, { throughPeriod: period ?? lastKey });
          break;
      }
      process.stdout.write(formatReport(r, format));
      return 0;
    } finally {
      await ctx.close();
    }
  },
};

const exportCmd: Command = {
  name: 'export',
  summary: 'Export the ledger as journal CSV, the netted QuickBooks format, or an hledger/beancount journal',
  usage: `export <${EXPORT_FORMATS.join('|')}> --tenant acct_… [--live] [--out file]`,
  options: { ...TENANT_OPTIONS, out: { type: 'string', description: 'Write to this file instead of standard output' } },
  async run({ values, positionals }) {
    const format = positionals[0] as ExportFormat | undefined;
    if (!format || !EXPORT_FORMATS.includes(format))
      throw new UsageError(`name a format: ${EXPORT_FORMATS.join(', ')}`);
    const out = str(values.out, 'out');
    if (out) await checkWritableFile(out);
    const { loadLedgerLines } = await import('../ledger/ledger.ts');
    const ctx = await cliContext();
    try {
      const tenant = await tenantFrom(ctx, values);
      const lines = await loadLedgerLines(ctx.db, tenant.id);
      const file = exportLedger(lines, format, tenant.accountId);
      if (out) await writeFile(out, file.body);
      else process.stdout.write(file.body);
      return 0;
    } finally {
      await ctx.close();
    }
  },
};

const release: Command = {
  name: 'release',
  summary: 'Release recognized revenue for every period ending on or before a date',
  usage: 'release --tenant acct_… [--live] --through YYYY-MM-DD',
  options: { ...TENANT_OPTIONS, through: { type: 'string', description: 'Last day to release through' } },
  async run({ values }) {
    const through = dateArg(values.through, 'through');
    if (!through) throw new UsageError('--through is required');
    const { releaseThrough } = await import('../app/process.ts');
    const ctx = await cliContext();
    try {
      const tenant = await tenantFrom(ctx, values);
      // Revenue of a day that has not come yet is not earned yet.
      const today = localDateOf(Math.floor(Date.now() / 1000), tenant.settings.reporting_time_zone);
      if (through > today)
        throw new AccrueError(
          'invalid_input',
          `--through ${through} is after today (${today}); revenue is not earned yet`,
        );
      const r = await releaseThrough(ctx.process, tenant.id, through);
      process.stdout.write(
        `released through ${through}: ${r.posted} new entries over ${r.aggregates} invoices and other documents\n`,
      );
      return 0;
    } finally {
      await ctx.close();
    }
  },
};

const period: Command = {
  name: 'period',
  summary: 'List, close or reopen accounting periods',
  usage: 'period <list|close|reopen> [YYYY-MM] --tenant acct_… [--live] [--reason "…"] [--actor name]',
  details: 'Periods close in order; only the latest closed period can be reopened, and reopening needs a reason.',
  options: {
    ...TENANT_OPTIONS,
    reason: { type: 'string', description: 'Why a period is reopened (required for reopen)' },
    actor: {
      type: 'string',
      description: 'Who does it (recorded in the audit trail)',
      default: process.env.USER ?? 'cli',
    },
  },
  async run({ values, positionals }) {
    const [action, key] = positionals;
    if (!action || !['list', 'close', 'reopen'].includes(action))
      throw new UsageError('name an action: list, close or reopen');
    if (action !== 'list' && !key) throw new UsageError(`name the period to ${action} (YYYY-MM)`);
    if (key) periodArg(key, 'the period');
    const reason = action === 'reopen' ? str(values.reason, 'reason', true)! : undefined;
    const [{ closePeriod, listPeriods }, { submitPeriodReopen }] = await Promise.all([
      import('../ledger/periods.ts'),
      import('../app/approvals/kinds.ts'),
    ]);
    const ctx = await cliContext();
    try {
      const tenant = await tenantFrom(ctx, values);
      const actor = String(values.actor);
      if (action === 'close') await closePeriod(ctx.db, tenant, key!, actor);
      if (action === 'reopen') {
        const r = await submitPeriodReopen(ctx.db, tenant, { period: key!, actor, reason: reason! });
        if ('approval' in r) {
          process.stdout.write(
            `reopening ${key} waits for approval: request ${r.approval.id} (accrue approvals approve ${r.approval.id} --tenant …)\n`,
          );
          return 0;
        }
      }
      const ps = await listPeriods(ctx.db, tenant.id);
      process.stdout.write(
        ps
          // Periods are [start, end): the last day shown is the day before `end`.
          .map(
            (p) =>
              `${p.key}  ${p.start} … ${addDays(p.end, -1)}  ${p.status}${p.closedBy ? ` (by ${p.closedBy})` : ''}`,
          )
          .join('\n') + '\n',
      );
      return 0;
    } finally {
      await ctx.close();
    }
  },
};

const tenants: Command = {
  name: 'tenants',
  summary: 'List tenants (Stripe account and mode) with their status',
  usage: 'tenants',
  async run() {
    const ctx = await cliContext();
    try {
      const rows = await ctx.db
        .selectFrom('tenants')
        .select(['stripe_account_id', 'livemode', 'status', 'created_at'])
        .orderBy('id')
        .execute();
      process.stdout.write(
        rows.length
          ? rows.map((r) => `${r.stripe_account_id}  ${r.livemode ? 'live' : 'test'}  ${r.status}`).join('\n') + '\n'
          : `no tenants yet${await demoHint(ctx.config)}\n`,
      );
      return 0;
    } finally {
      await ctx.close();
    }
  },
};

const backfill: Command = {
  name: 'backfill',
  summary:
    "Bring a tenant's Stripe history in (invoices, invoice payments and items, credit notes, charges, refunds, disputes, payouts); resumable",
  usage: 'backfill --tenant acct_… [--live] [--since YYYY-MM-DD] [--restart] [--no-process]',
  details:
    'Lists the account through the Stripe API and feeds one synthetic event per object through the normal\nprocessing pipeline. Progress is saved after every page: run the same command again to resume after a kill.',
  options: {
    ...TENANT_OPTIONS,
    since: { type: 'string', description: 'Only objects created on or after this date (UTC)' },
    restart: { type: 'boolean', description: 'Forget saved progress and list everything again' },
    'no-process': { type: 'boolean', description: 'Only store the events; let the workers process them' },
  },
  async run({ values }) {
    const since = dateArg(values.since, 'since');
    const [{ runBackfill }, { createTicker }] = await Promise.all([
      import('../app/backfill.ts'),
      import('./progress.ts'),
    ]);
    const ctx = await cliContext();
    try {
      const tenantId = values.tenant;
      if (typeof tenantId !== 'string') throw new UsageError('--tenant acct_… is required');
      if (!ctx.stripe)
        throw new AccrueError('not_configured', 'STRIPE_SECRET_KEY is not configured; backfill reads the Stripe API');
      const { checkAccountId, ensureTenant } = await import('../ledger/tenants.ts');
      checkAccountId(tenantId);
      const tenant = await ensureTenant(ctx.db, { accountId: tenantId, livemode: values.live === true });
      const counts = new Map<string, number>();
      const ticker = createTicker('backfill');
      const r = await runBackfill({ db: ctx.db, jobs: null, stripe: ctx.stripe, log: ctx.log }, tenant.id, {
        since: since ? startOfDay(since, 'UTC') : undefined,
        restart: values.restart === true,
        onProgress: (resource, items) => {
          counts.set(resource, items);
          ticker.update([...counts].map(([k, v]) => `${k} ${v}`).join(', '));
        },
      }).finally(() => ticker.stop());
      process.stdout.write(
        `stored ${r.stored} new events (${Object.entries(r.byResource)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')})\n`,
      );
      if (values['no-process'] !== true) {
        const { drainInbox } = await import('../app/process.ts');
        const d = await drainInbox(ctx.process, tenant.id);
        process.stdout.write(
          `processed ${d.processed}, ignored ${d.ignored}, failed ${d.failed}${d.deferred ? `, ${d.deferred} deferred (Stripe unavailable; run again)` : ''}\n`,
        );
      }
      return 0;
    } finally {
      await ctx.close();
    }
  },
};

const sync: Command = {
  name: 'sync',
  summary: "Post a tenant's unposted journal entries to its QuickBooks company now",
  usage: 'sync --tenant acct_… [--live] [--period YYYY-MM]',
  options: { ...TENANT_OPTIONS, period: { type: 'string', description: 'Only entries of this period' } },
  async run({ values }) {
    const period = periodArg(str(values.period, 'period'), '--period');
    const ctx = await cliContext();
    try {
      const tenant = await tenantFrom(ctx, values);
      if (!ctx.qbo)
        throw new AccrueError(
          'not_configured',
          'QuickBooks is not configured (QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REDIRECT_URI, ACCRUE_ENCRYPTION_KEY)',
        );
      const { syncTenant } = await import('../app/qbo-sync.ts');
      const r = await syncTenant({ db: ctx.db, qbo: ctx.qbo, log: ctx.log }, tenant.id, {
        period,
      });
      process.stdout.write(
        r.skipped
          ? `nothing posted: ${r.skipped}\n`
          : `planned ${r.planned} QuickBooks entries: ${r.posted ?? 0} posted, ${r.alreadyPosted ?? 0} already there, ${r.recoveredByLookup ?? 0} recovered after a lost response, ${r.failed?.length ?? 0} failed (${r.apiCalls ?? 0} API calls)\n`,
      );
      return r.failed?.length ? 1 : 0;
    } finally {
      await ctx.close();
    }
  },
};

const reconcile: Command = {
  name: 'reconcile',
  summary: 'Compare the ledger with QuickBooks, period by period and account by account',
  usage: 'reconcile --tenant acct_… [--live]',
  options: { ...TENANT_OPTIONS },
  async run({ values }) {
    const ctx = await cliContext();
    try {
      const tenant = await tenantFrom(ctx, values);
      if (!ctx.qbo) throw new AccrueError('not_configured', 'QuickBooks is not configured');
      const { reconcileTenant } = await import('../app/qbo-sync.ts');
      const r = await reconcileTenant({ db: ctx.db, qbo: ctx.qbo, log: ctx.log }, tenant.id);
      process.stdout.write(
        r.skipped
          ? `not reconciled: ${r.skipped}\n`
          : `${r.cells} period/account cells compared: ${r.differences} differ; ${r.edited} entries edited and ${r.deleted} deleted in QuickBooks — ${r.agree ? 'ledger and QuickBooks agree' : 'see the exception queue'}\n`,
      );
      return r.agree ? 0 : 1;
    } finally {
      await ctx.close();
    }
  },
};

export function coreCommands(): Command[] {
  return [
    demo,
    serve,
    worker,
    migrate,
    replayCmd,
    report,
    exportCmd,
    release,
    period,
    tenants,
    backfill,
    sync,
    reconcile,
  ];
}
