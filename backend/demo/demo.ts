/**
 * `npm run demo`: the whole product on a realistic sample business, with nothing configured.
 *
 * It starts the embedded PostgreSQL, a Stripe API fake and a QuickBooks Online fake on 127.0.0.1,
 * generates a deterministic business (about 300 customers over 18 months), connects QuickBooks
 * through the real OAuth flow, and then, month by month: delivers that month's Stripe events,
 * signed, through the real webhook endpoint; processes the inbox; releases the month's revenue;
 * maps any new ledger account to a QuickBooks account; posts to QuickBooks; and closes the month
 * before. At the end it reconciles the ledger with QuickBooks, prints a summary and writes an
 * HTML report with the waterfall and deferred revenue charts.
 */
import { sql } from 'kysely';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Stripe from 'stripe';
import type { AccountRole } from '../../shared/accounts.ts';
import { currency as currencyOf, normalizeCurrency, type Currency } from '../../shared/money.ts';
import { periodsBetween } from '../../shared/periods.ts';
import type { TenantSettingsInput } from '../../shared/settings.ts';
import { addDays, endOfMonth, localDateOf } from '../../shared/time.ts';
import { generateBusiness } from '../sandbox/stripe/business.ts';
import { startStripeFake } from '../sandbox/stripe/server.ts';
import { startFakeQbo } from '../sandbox/qbo/server.ts';
import { openContext } from '../app/context.ts';
import { drainUntilSettled, releaseThrough } from '../app/process.ts';
import { reconcileTenant, syncTenant } from '../app/qbo-sync.ts';
import { loadConfig } from '../config/config.ts';
import { createHttpApp } from '../http/server.ts';
import { loadLedgerLines } from '../ledger/ledger.ts';
import { calendarOf, closePeriod, listPeriods } from '../ledger/periods.ts';
import { ensureTenant } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { applyProposals, proposeAccounts } from '../qbo/chart.ts';
import { qboAmountToMinor, mappingKey } from '../qbo/posting.ts';
import { openSession } from '../qbo/service.ts';
import { stripeWebhookRouter } from '../stripe/webhook.ts';
import { freshDemoBooks, markDemoBooks } from './books.ts';
import { fetchDemoRates, startDemoRates } from './rates.ts';
import { AccrueError } from '../../shared/errors.ts';
import { metricsReport } from '../app/reports/metrics.ts';
import { rpoReport } from '../app/reports/rpo.ts';
import { moneyWithCode } from './report-format.ts';
import { fxSummaryText, type StripeSideBalance } from './report-fx.ts';
import { renderDemoReport, type QboAgreementRow } from './report-html.ts';
import { exceptionSummary, postingSummary } from './report-sections.ts';
import { serveDemo, type DemoServeOptions } from './serve.ts';

/** The sample business is the same on every run. */
export const DEMO_SEED = 20251121;
const DEMO_API_KEY = 'sk_test_accrue_demo';
/** Longest one month's processing may keep retrying transient Stripe failures. */
const DRAIN_TIMEOUT_MS = 5 * 60_000;
/** Webhook deliveries in flight at once within a month (processing sorts by Stripe's time anyway). */
const DELIVERY_CONCURRENCY = 8;
const QBO_APP = {
  clientId: 'accrue-demo',
  clientSecret: 'accrue-demo-secret',
  redirect: 'http://127.0.0.1/oauth/qbo/callback',
};

export interface DemoOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  log: Logger;
  out: (line: string) => void;
  /** Progress over the whole demo: what it is doing now, and steps done of the total. */
  progress?: (detail: string, done: number, total: number) => void;
  customers?: number;
  months?: number;
  /** Called with the result once the books are done, before any serving. */
  onBooked?: (result: DemoResult) => void;
  /** Then keep the API, the workers and both fakes running on the demo's books (`accrue demo --serve`). */
  serve?: DemoServeOptions;
}

export interface DemoResult {
  agree: boolean;
  reportPath: string;
  summary: { label: string; value: string }[];
  /** The demo tenant's Stripe account id (test mode). */
  tenant: string;
  /** The environment that points `accrue` at the demo's books. */
  env: Record<string, string>;
}

/** Steps the demo reports progress in: each month's four, then reconciliation and the report. */
const STEPS_PER_MONTH = 4;
const FINAL_STEPS = 2;

/** Counts the demo's steps for `DemoOptions.progress`. */
function stepCounter(opts: DemoOptions, months: number) {
  const total = months * STEPS_PER_MONTH + FINAL_STEPS;
  let done = 0;
  return {
    /** Reports what starts now, without finishing a step. */
    now: (detail: string) => opts.progress?.(detail, done, total),
    /** Finishes a step. */
    step: (detail: string) => opts.progress?.(detail, ++done, total),
  };
}
type Steps = ReturnType<typeof stepCounter>;

type Business = ReturnType<typeof generateBusiness>;
type Context = Awaited<ReturnType<typeof openContext>>;
type Qbo = NonNullable<Context['qbo']>;
type Tenant = Awaited<ReturnType<typeof ensureTenant>>;

/** The banner line: how many customers, in which currencies, how many events over how many months. */
function describeBusiness(business: Business, months: number): string {
  const stats = business.stats;
  const customers = (stats.customers_usd ?? 0) + (stats.customers_eur ?? 0) + (stats.customers_jpy ?? 0);
  return `Sample business (SEED=${business.seed}): ${customers} customers (${stats.customers_eur ?? 0} EUR, ${stats.customers_jpy ?? 0} JPY), ${business.events.length} Stripe events over ${months} months`;
}

/**
 * The sandbox: the business loaded into the Stripe fake, its daily rates in the rate-provider fake,
 * and a QuickBooks company whose consent page grants it.
 */
async function startSandbox(business: Business) {
  const rates = await startDemoRates(business.rates);
  const stripeFake = await startStripeFake({ apiKey: DEMO_API_KEY });
  stripeFake.load(business.replay, business.account);
  const qboFake = await startFakeQbo();
  qboFake.registerApp({
    clientId: QBO_APP.clientId,
    clientSecret: QBO_APP.clientSecret,
    redirectUris: [QBO_APP.redirect],
  });
  const realmId = qboFake.createRealm({ companyName: 'Sample SaaS Inc.', homeCurrency: 'USD' });
  qboFake.setAuthorizeOutcome({ realmId });
  return { stripeFake, qboFake, realmId, rates };
}

/** The product's configuration, pointed at the demo database and the two fakes. */
function demoConfig(
  opts: DemoOptions,
  dbUrl: URL,
  fakes: { stripeUrl: string; qboUrl: string },
  secrets: { webhook: string; encryptionKey: string; app: string },
) {
  return loadConfig({
    DATABASE_URL: dbUrl.toString(),
    ACCRUE_DATA_DIR: opts.dataDir,
    STRIPE_SECRET_KEY: DEMO_API_KEY,
    STRIPE_API_BASE: fakes.stripeUrl,
    STRIPE_WEBHOOK_SECRET: secrets.webhook,
    STRIPE_APP_SECRET: secrets.app,
    QBO_CLIENT_ID: QBO_APP.clientId,
    QBO_CLIENT_SECRET: QBO_APP.clientSecret,
    QBO_REDIRECT_URI: QBO_APP.redirect,
    QBO_API_BASE: fakes.qboUrl,
    QBO_OAUTH_BASE: fakes.qboUrl,
    ACCRUE_ENCRYPTION_KEY: secrets.encryptionKey,
    LOG_LEVEL: opts.log.level,
  });
}

/** The real Stripe webhook endpoint on a local port. */
async function startWebhookEndpoint(ctx: Context, webhookSecret: string, log: Logger) {
  const router = stripeWebhookRouter({ db: ctx.db, jobs: ctx.jobs, secrets: () => [webhookSecret], log });
  const server = createHttpApp({ db: ctx.db, log, rawRoutes: [{ path: '/webhooks/stripe', handler: router }] }).listen(
    0,
    '127.0.0.1',
  );
  await once(server, 'listening');
  return { server, hookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe` };
}

/** Connects QuickBooks through the real OAuth flow (the fake plays Intuit's consent page). */
async function connectQuickBooks(qbo: Qbo, tenant: Tenant): Promise<void> {
  const { url } = qbo.oauth.authorizationUrl(tenant.id.toString());
  const consent = await fetch(url, { redirect: 'manual' });
  await qbo.oauth.handleCallback(consent.headers.get('location') ?? '');
}

/** Events by calendar month (`YYYY-MM`, UTC), months in order. */
function eventsByMonth(events: Business['events']): [string, Business['events']][] {
  const months = new Map<string, Business['events']>();
  for (const e of events) {
    const m = localDateOf(e.created as number, 'UTC').slice(0, 7);
    if (!months.has(m)) months.set(m, []);
    months.get(m)!.push(e);
  }
  return [...months].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Delivers events signed, through the webhook endpoint, a few at a time; any refusal stops the demo. */
async function deliver(
  events: Business['events'],
  hookUrl: string,
  webhookSecret: string,
  onDelivered: () => void,
): Promise<void> {
  const signer = new Stripe(DEMO_API_KEY);
  let next = 0;
  await Promise.all(
    Array.from({ length: DELIVERY_CONCURRENCY }, async () => {
      for (;;) {
        const i = next++;
        if (i >= events.length) return;
        const payload = JSON.stringify(events[i]);
        const signature = signer.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
        const res = await fetch(hookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': signature },
          body: payload,
        });
        if (res.status !== 200) throw new Error(`webhook refused ${(events[i] as { id: string }).id}: ${res.status}`);
        onDelivered();
      }
    }),
  );
}

/** Releases revenue through a day, maps any new ledger account, and posts to QuickBooks. */
async function bookThrough(ctx: Context, qbo: Qbo, tenantId: bigint, day: string, log: Logger): Promise<void> {
  await releaseThrough(ctx.process, tenantId, day);
  await mapNewAccounts(ctx.db, qbo, tenantId);
  await syncTenant({ db: ctx.db, qbo, log }, tenantId);
}

/**
 * Month by month: deliver the month's events, process the inbox, release the month's revenue, map
 * and post to QuickBooks, then close the month before. Returns the events delivered and the last day.
 */
async function runMonths(
  ctx: Context,
  qbo: Qbo,
  tenant: Tenant,
  business: Business,
  opts: DemoOptions,
  webhook: { hookUrl: string; secret: string },
  steps: Steps,
): Promise<{ delivered: number; lastDay: string }> {
  let delivered = 0;
  let previous: string | null = null;
  const months = eventsByMonth(business.events);
  const of = business.events.length;
  for (const [i, [month, events]] of months.entries()) {
    const at = `month ${i + 1}/${months.length} (${month})`;
    // The month's reference rates first, as the daily tick fetches them, so nothing books on an estimate.
    await fetchDemoRates(ctx.db, tenant, endOfMonth(`${month}-01`), {
      log: opts.log,
      afterPost: ctx.process.afterPost,
    });
    let last = 0;
    await deliver(events, webhook.hookUrl, webhook.secret, () => {
      delivered++;
      // A progress line per hundred deliveries is plenty; the bar throttles its own redraws.
      if (delivered - last >= 100) steps.now(`${at}: delivering Stripe events (${(last = delivered)}/${of})`);
    });
    steps.step(`${at}: delivered ${delivered}/${of} Stripe events`);
    await drainUntilSettled(ctx.process, tenant.id, DRAIN_TIMEOUT_MS);
    steps.step(`${at}: processed the inbox`);
    await bookThrough(ctx, qbo, tenant.id, endOfMonth(`${month}-01`), opts.log);
    steps.step(`${at}: released revenue and posted to QuickBooks`);
    // Auto-close: the month before closes once this month is booked (5 days after its end).
    if (previous) await closePeriod(ctx.db, tenant, previous, 'auto-close');
    steps.step(`${at}: ${previous ? `closed ${previous}` : 'nothing to close yet'}`);
    previous = month;
  }
  const lastDay = endOfMonth(
    `${months
      .map(([m]) => m)
      .sort()
      .at(-1)}-01`,
  );
  await bookThrough(ctx, qbo, tenant.id, lastDay, opts.log);
  return { delivered, lastDay };
}

/** The summary rows printed and shown in the report. */
async function summarize(
  ctx: Context,
  tenantId: bigint,
  lines: Awaited<ReturnType<typeof loadLedgerLines>>,
  figures: { delivered: number; agree: boolean; rows: QboAgreementRow[]; started_ms: number; lastDay: string },
) {
  const { delivered, agree, rows } = figures;
  const cur = currencyOf('usd');
  const sum = (pred: (l: (typeof lines)[number]) => boolean) =>
    lines.filter((l) => l.currency === cur && pred(l)).reduce((s, l) => s + l.amountMinor, 0n);
  const recognized = -sum((l) => l.role === 'revenue');
  const deferred = -sum((l) => l.role === 'deferred_revenue');
  const openExceptions = await ctx.db
    .selectFrom('exceptions')
    .select(['kind'])
    .select(sql<boolean>`coalesce(details ->> 'severity' = 'warning', false)`.as('warning'))
    .select((eb) => eb.fn.countAll<bigint>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'open')
    .groupBy(['kind', 'warning'])
    .execute();
  const errors = openExceptions.filter((e) => !e.warning);
  const warnings = openExceptions.filter((e) => e.warning);
  const syncRows = await ctx.db
    .selectFrom('qbo_sync')
    .select(['state'])
    .select((eb) => eb.fn.countAll<bigint>().as('n'))
    .where('tenant_id', '=', tenantId)
    .groupBy('state')
    .execute();
  const periods = await listPeriods(ctx.db, tenantId);
  const entries = new Set(lines.map((l) => l.entryId)).size;
  const summary = [
    { label: 'Stripe events processed', value: `${delivered}` },
    {
      label: 'Journal entries',
      value: `${entries} (${lines.length} lines), ${periods.filter((p) => p.status === 'closed').length} periods closed`,
    },
    { label: 'Revenue recognized (Revenue accounts)', value: moneyWithCode(recognized, cur) },
    { label: 'Deferred revenue at the end', value: moneyWithCode(deferred, cur) },
    {
      label: 'Exchange differences (EUR, JPY)',
      // Through the last day booked: the period after it holds only the reversal of its restatement.
      value: fxSummaryText(
        lines,
        periods.filter((p) => p.start <= figures.lastDay),
        cur,
      ),
    },
    { label: 'QuickBooks', value: postingSummary(syncRows.map((r) => ({ state: r.state, count: Number(r.n) }))) },
    {
      label: 'Open exceptions',
      value: exceptionSummary(
        errors.map((e) => ({ kind: e.kind, count: Number(e.n) })),
        warnings.map((e) => ({ kind: e.kind, count: Number(e.n) })),
      ),
    },
    {
      label: 'Ledger and QuickBooks agree account by account',
      value: agree
        ? `yes (${rows.length} period/account cells)`
        : `NO (${rows.filter((r) => r.ledger_minor !== r.qbo_minor).length} cells differ)`,
    },
    { label: 'Run time', value: `${((Date.now() - figures.started_ms) / 1000).toFixed(1)} s` },
  ];
  return { summary, periods };
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started_ms = Date.now();
  const say = opts.out;
  const business = generateBusiness({ seed: DEMO_SEED, customers: opts.customers, months: opts.months });
  say(describeBusiness(business, opts.months ?? 18));
  const steps = stepCounter(opts, eventsByMonth(business.events).length);
  steps.now('starting the database and the Stripe and QuickBooks fakes');
  const books = await freshDemoBooks(opts);
  const { stripeFake, qboFake, realmId, rates } = await startSandbox(business);
  const fakes = { stripeUrl: stripeFake.url, qboUrl: qboFake.url };
  const secrets = {
    webhook: `whsec_${randomBytes(16).toString('hex')}`,
    app: `absec_${randomBytes(16).toString('hex')}`,
    encryptionKey: `k1:${randomBytes(32).toString('base64')}`,
  };
  const config = demoConfig(opts, books.dbUrl, fakes, secrets);
  try {
    const ctx = await openContext({ config, log: opts.log, workers: false });
    const { server, hookUrl } = await startWebhookEndpoint(ctx, secrets.webhook, opts.log);
    let result: DemoResult;
    try {
      const tenant = await demoTenant(ctx, business, rates.settings);
      await markDemoBooks(books, tenant.accountId);
      await connectQuickBooks(ctx.qbo!, tenant);
      say(`Connected QuickBooks company ${realmId} (tokens encrypted at rest)`);
      const { delivered, lastDay } = await runMonths(
        ctx,
        ctx.qbo!,
        tenant,
        business,
        opts,
        {
          hookUrl,
          secret: secrets.webhook,
        },
        steps,
      );
      const figures = { delivered, lastDay, started_ms, stripeBalances: stripeSideBalances(business) };
      const report = await writeReport(ctx, tenant, books.folder, figures, steps, say);
      result = { ...report, tenant: tenant.accountId, env: books.env };
    } finally {
      server.close();
      await ctx.close();
    }
    opts.onBooked?.(result);
    if (opts.serve) {
      const demo = { folder: books.folder, tenant: result.tenant, env: books.env, ...fakes };
      await serveDemo(config, opts.log, demo, opts.serve);
    }
    return result;
  } finally {
    await stripeFake.close();
    await qboFake.close();
    await rates.fake.close();
    await books.stopServer();
  }
}

/** What each Stripe balance holds per Stripe: its balance transactions' nets, a payout's once it is paid. */
function stripeSideBalances(business: Business): StripeSideBalance[] {
  const paid = new Set(business.objects.filter((o) => o.object === 'payout' && o.status === 'paid').map((o) => o.id));
  const sums = new Map<Currency, bigint>();
  for (const bt of business.objects) {
    if (bt.object !== 'balance_transaction') continue;
    if (bt.type === 'payout' && !paid.has(String(bt.source))) continue;
    const currency = normalizeCurrency(String(bt.currency));
    sums.set(currency, (sums.get(currency) ?? 0n) + BigInt(bt.net as number));
  }
  return [...sums].map(([currency, amountMinor]) => ({ currency, amountMinor }));
}

/** The demo's tenant, with the business's settings, its rate provider with period-end revaluation, and auto-close. */
async function demoTenant(
  ctx: Context,
  business: Business,
  rates: Awaited<ReturnType<typeof startDemoRates>>['settings'],
): Promise<Tenant> {
  const settings: TenantSettingsInput = {
    ...business.suggestedSettings,
    // The demo's rates come from its provider, fetched month by month, not from a table given up front.
    fx_rates: [],
    ...rates,
    close_policy: { mode: 'auto', days_after_period_end: 5 },
  };
  return ensureTenant(ctx.db, { accountId: business.account, livemode: false }, settings, 'demo');
}

/** Reconciles, summarizes and writes the HTML report; lists the first open exceptions. */
async function writeReport(
  ctx: Context,
  tenant: Tenant,
  folder: string,
  figures: { delivered: number; lastDay: string; started_ms: number; stripeBalances: StripeSideBalance[] },
  steps: Steps,
  say: (line: string) => void,
): Promise<{ agree: boolean; reportPath: string; summary: DemoResult['summary'] }> {
  const { delivered, lastDay, started_ms } = figures;
  const rec = await reconcileTenant({ db: ctx.db, qbo: ctx.qbo!, log: ctx.log }, tenant.id);
  steps.step('reconciled the ledger with QuickBooks');
  // The agreement table: every (period, account) cell, ledger against what QuickBooks holds.
  const lines = await loadLedgerLines(ctx.db, tenant.id);
  const rows = await agreementRows(ctx, tenant.id, lines);
  const agree = rec.agree && rows.every((r) => r.ledger_minor === r.qbo_minor);
  const { summary, periods } = await summarize(ctx, tenant.id, lines, { delivered, agree, rows, started_ms, lastDay });
  const firstDay = periods[0]?.start ?? lastDay;
  const extras = await controllerExtras(ctx, tenant, firstDay, lastDay);
  const html = renderDemoReport({
    ...extras,
    title: 'Accrue demo — Sample SaaS Inc.',
    generatedAt: new Date().toISOString(),
    lines,
    periods: periodsBetween(calendarOf(tenant.settings), firstDay, addDays(lastDay, 0)),
    summary,
    qboAgreement: { agree, rows },
    primaryCurrency: currencyOf('usd'),
    stripeBalances: figures.stripeBalances,
  });
  await mkdir(folder, { recursive: true });
  const reportPath = join(folder, 'report.html');
  await writeFile(reportPath, html);
  steps.step('wrote the report');
  const open = await ctx.db
    .selectFrom('exceptions')
    .select(['kind', 'object_id', 'reason'])
    .where('tenant_id', '=', tenant.id)
    .where('status', '=', 'open')
    .orderBy('id')
    .limit(10)
    .execute();
  for (const e of open) say(`  exception [${e.kind}] ${e.object_id}: ${e.reason}`);
  return { agree, reportPath, summary };
}

/** What the report shows beyond the ledger: the open exceptions, SaaS metrics and the forward schedule. */
async function controllerExtras(ctx: Context, tenant: Tenant, firstDay: string, lastDay: string) {
  const open = await ctx.db
    .selectFrom('exceptions')
    .select(['id', 'kind', 'object_id', 'reason'])
    .where('tenant_id', '=', tenant.id)
    .where('status', '=', 'open')
    .orderBy('id')
    .execute();
  const exceptions = {
    list: open.map((e) => ({ id: e.id.toString(), kind: e.kind, objectId: e.object_id, reason: e.reason })),
    total: open.length,
  };
  const { report: metrics } = await metricsReport(ctx.db, tenant, {
    fromMonth: firstDay.slice(0, 7),
    throughMonth: lastDay.slice(0, 7),
  });
  // The forward schedule needs released revenue; a run too short to release any has none.
  const rpo = await rpoReport(ctx.db, tenant).catch((err: unknown) => {
    if (err instanceof AccrueError && err.code === 'invalid_input') return undefined;
    throw err;
  });
  return { exceptions, metrics, rpo };
}

/** Maps every ledger account without a QuickBooks account: reuse one of the same name, else create it. */
async function mapNewAccounts(
  db: import('../db/database.ts').Db,
  qbo: NonNullable<import('../app/context.ts').AppContext['qbo']>,
  tenantId: bigint,
): Promise<void> {
  const unmapped = await db
    .selectFrom('accounts')
    .select(['id', 'role', 'name'])
    .where('tenant_id', '=', tenantId)
    .where('external_id', 'is', null)
    .execute();
  if (!unmapped.length) return;
  const session = await openSession(qbo.oauth, tenantId.toString());
  const chart = await session.call((api) => api.listAccounts({ includeInactive: true }));
  const needed = unmapped.map((a) => ({ role: a.role as AccountRole, account: a.name }));
  const mapping = await applyProposals(session.api, proposeAccounts(needed, chart));
  for (const a of unmapped) {
    const m = mapping.get(mappingKey(a.role as AccountRole, a.name));
    if (m)
      await db
        .updateTable('accounts')
        .set({ external_id: m.id, external_type: m.accountType })
        .where('id', '=', a.id)
        .execute();
  }
}

/** Ledger and QuickBooks totals per period and mapped account, read back through the QuickBooks API. */
async function agreementRows(
  ctx: import('../app/context.ts').AppContext,
  tenantId: bigint,
  lines: Awaited<ReturnType<typeof loadLedgerLines>>,
): Promise<QboAgreementRow[]> {
  const accounts = await ctx.db
    .selectFrom('accounts')
    .select(['role', 'name', 'external_id'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const idOf = new Map(accounts.map((a) => [mappingKey(a.role as AccountRole, a.name), a.external_id]));
  const nameOf = new Map(accounts.map((a) => [a.external_id, a.name]));
  const session = await openSession(ctx.qbo!.oauth, tenantId.toString());
  const records = await ctx.db
    .selectFrom('qbo_sync')
    .select(['doc_number', 'currency'])
    .where('tenant_id', '=', tenantId)
    .where('state', '=', 'posted')
    .execute();
  const live = records.length
    ? await session.call((api) => api.findJournalEntriesByDocNumber(records.map((r) => r.doc_number)))
    : [];
  const cells = new Map<string, QboAgreementRow>();
  const cell = (period: string, currency: Currency, accountId: string) => {
    const k = `${period}|${currency}|${accountId}`;
    let c = cells.get(k);
    if (!c)
      cells.set(
        k,
        (c = { period, currency, account: nameOf.get(accountId) ?? accountId, ledger_minor: 0n, qbo_minor: 0n }),
      );
    return c;
  };
  for (const l of lines) {
    const id = idOf.get(mappingKey(l.role, l.account));
    if (id) cell(l.period, l.currency, id).ledger_minor += l.amountMinor;
  }
  for (const je of live) {
    const currency = normalizeCurrency(je.CurrencyRef?.value ?? 'USD');
    const period = (je.TxnDate ?? '').slice(0, 7);
    for (const line of je.Line) {
      if (line.DetailType !== 'JournalEntryLineDetail') continue;
      const d = line.JournalEntryLineDetail;
      const amount = qboAmountToMinor(line.Amount, currency);
      cell(period, currency, d.AccountRef.value).qbo_minor += d.PostingType === 'Debit' ? amount : -amount;
    }
  }
  return [...cells.values()]
    .filter((c) => c.ledger_minor !== 0n || c.qbo_minor !== 0n)
    .sort((a, b) => (a.period !== b.period ? (a.period < b.period ? -1 : 1) : a.account < b.account ? -1 : 1));
}
