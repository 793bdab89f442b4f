/**
 * `accrue demo`: the whole product on a sample business. It ends by saying where the demo's books
 * are and the exact commands that look at them; with `--serve` it keeps the API, the workers and
 * the Stripe and QuickBooks fakes running on those books until Ctrl-C.
 */
import type { DemoResult } from '../demo/demo.ts';
import { UsageError, type Command } from './framework.ts';
import { untilSignal } from './shared.ts';

/** The commands the demo suggests, for its tenant. */
export function demoCommands(tenant: string): string[] {
  const t = `--tenant ${tenant}`;
  return [
    'npx accrue tenants',
    `npx accrue period list ${t}`,
    `npx accrue report trial-balance ${t}`,
    `npx accrue report rollforward ${t}`,
    `npx accrue report waterfall ${t} --format csv`,
    `npx accrue export hledger ${t} --out books.journal`,
  ];
}

/** `export NAME=value` lines, with a password in a database URL hidden. */
function exportLines(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => {
    if (k !== 'DATABASE_URL') return `export ${k}=${v}`;
    const u = new URL(v);
    if (u.password) u.password = '…';
    return `export ${k}=${u.toString()}${u.password ? '   # with your password' : ''}`;
  });
}

/** The summary, the report's path, and where the books are with the commands that look at them. */
function bookedText(r: DemoResult, serving: boolean): string {
  const w = Math.max(...r.summary.map((s) => s.label.length));
  return (
    `\n${r.summary.map((s) => `  ${s.label.padEnd(w)}  ${s.value}`).join('\n')}\n\nReport: ${r.reportPath}\n` +
    `\nThe demo's books: tenant ${r.tenant} (test mode). Point accrue at them and look:\n\n` +
    [...exportLines(r.env), ...demoCommands(r.tenant)].map((l) => `  ${l}`).join('\n') +
    (serving ? '' : `\n\nsync, reconcile and the APIs need the fakes running: npx accrue demo --serve`)
  );
}

export const demo: Command = {
  name: 'demo',
  summary: 'Run the whole product on a sample business: fake Stripe and QuickBooks, month by month, then a report',
  usage: 'demo [--customers N] [--months N] [--serve [--port N]]',
  details:
    'Needs no configuration. The demo keeps its books in their own data folder, ACCRUE_DATA_DIR/demo\n' +
    '(default .accrue/demo; with DATABASE_URL, the accrue_demo database on that server), writes\n' +
    'report.html there, and prints the tenant and the commands that look at its books.',
  options: {
    customers: { type: 'string', description: 'Customers in the sample business', default: '300' },
    months: { type: 'string', description: 'Months of history', default: '18' },
    serve: {
      type: 'boolean',
      description: 'Then keep the API, the workers and both fakes running until Ctrl-C (try sync, reconcile, the APIs)',
    },
    port: { type: 'string', description: 'Port for --serve (default: PORT, else 3000; 0 for any free port)' },
  },
  async run({ values }) {
    const customers = Number(values.customers);
    const months = Number(values.months);
    if (!Number.isInteger(customers) || customers < 1 || customers > 5000)
      throw new UsageError('--customers must be an integer from 1 to 5000');
    if (!Number.isInteger(months) || months < 1 || months > 60)
      throw new UsageError('--months must be an integer from 1 to 60');
    const [{ loadConfig }, { createLogger }, { createProgress }] = await Promise.all([
      import('../config/config.ts'),
      import('../log/logger.ts'),
      import('./progress.ts'),
    ]);
    const config = loadConfig();
    const port = values.port !== undefined ? Number(values.port) : config.PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError('--port must be an integer from 0 to 65535');
    const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
    const { runDemo } = await import('../demo/demo.ts');
    const progress = createProgress('demo');
    const say = (line: string) => {
      progress.clear();
      process.stdout.write(`${line}\n`);
    };
    const r = await runDemo({
      dataDir: config.ACCRUE_DATA_DIR,
      databaseUrl: config.DATABASE_URL,
      log,
      out: say,
      progress: (detail, done, total) => {
        progress.update(done, total, detail);
        if (done === total) progress.stop();
      },
      customers,
      months,
      onBooked: (booked) => {
        progress.stop();
        say(bookedText(booked, values.serve === true));
      },
      serve:
        values.serve === true
          ? {
              port,
              until: untilSignal,
              onReady: (info) => {
                progress.stop();
                say(`\n${info.lines.join('\n')}\n`);
              },
            }
          : undefined,
    }).finally(() => progress.stop());
    return r.agree ? 0 : 1;
  },
};
