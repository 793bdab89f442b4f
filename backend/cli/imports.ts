/**
 * `accrue import journal|opening-balances <file.csv>` — posts a manual journal (a balanced CSV
 * of adjustments) or a cutover's opening balances, all or nothing. A refused file prints every
 * problem with its line and exits 2 (bad rows) or 4 (an entry key already used with another
 * body); an opening balances import that does not tie out exits 1. Needs only the database.
 */
import { readFile } from 'node:fs/promises';
import { AccrueError } from '../../shared/errors.ts';
import { formatMinor } from '../../shared/money.ts';
import { importManualJournal } from '../app/imports/manual-journal.ts';
import { importOpeningBalances } from '../app/imports/opening-balances.ts';
import { loadConfig } from '../config/config.ts';
import { openDatabase, type Db } from '../db/database.ts';
import { checkAccountId, getTenant } from '../ledger/tenants.ts';
import { createLogger } from '../log/logger.ts';
import { str, UsageError, type Command } from './framework.ts';
import { dateArg, TENANT_OPTIONS } from './shared.ts';

/** What the command needs; tests pass an open test database and capture the output. */
export interface ImportCommandDeps {
  open(): Promise<{ db: Db; close(): Promise<void> }>;
  out(s: string): void;
}

export const defaultDeps: ImportCommandDeps = {
  async open() {
    const config = loadConfig();
    const database = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.ACCRUE_DATA_DIR,
      log: createLogger(process.env.LOG_LEVEL ?? 'warn'),
    });
    return { db: database.db, close: () => database.close() };
  },
  out: (s) => void process.stdout.write(s),
};

const KINDS = ['journal', 'opening-balances'] as const;

async function readCsvFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new AccrueError('invalid_input', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** The `import` command. */
export function importCommand(deps: ImportCommandDeps = defaultDeps): Command {
  return {
    name: 'import',
    summary: 'Import a manual journal or a cutover’s opening balances from CSV (all or nothing; repeatable)',
    usage:
      'import journal <file.csv> --tenant acct_… [--live] [--author NAME]\n       accrue import opening-balances <file.csv> --cutover YYYY-MM-DD --tenant acct_… [--live] [--author NAME]',
    details:
      'journal: columns entry_key,date,account_role,currency,debit,credit,reason (+ account,memo,customer,invoice,product);\n  rows sharing an entry_key are one entry, which must balance and fall in an open period.\nopening-balances: columns type,customer,currency,amount (+ invoice,invoice_line,remaining_start,remaining_end,\n  revenue_account,product,memo); types deferred_revenue, receivable, customer_balance; prints the tie-out.\nThe same file imported again changes nothing. See docs/accounting.md for both formats.',
    options: {
      ...TENANT_OPTIONS,
      cutover: { type: 'string', description: "opening-balances: the books' first day (a period's first day)" },
      author: {
        type: 'string',
        description: 'Who imports it (recorded on every entry)',
        default: process.env.USER ?? 'cli',
      },
    },
    async run({ values, positionals }) {
      const [kind, file] = positionals;
      if (!kind || !(KINDS as readonly string[]).includes(kind))
        throw new UsageError(`name what to import: ${KINDS.join(' or ')}`);
      if (!file || positionals.length !== 2) throw new UsageError('give exactly one CSV file');
      const account = str(values.tenant, 'tenant', true)!;
      checkAccountId(account);
      const cutover =
        kind === 'opening-balances' ? dateArg(str(values.cutover, 'cutover', true), 'cutover') : undefined;
      const author = str(values.author, 'author', true)!;
      const csv = await readCsvFile(file);
      const { db, close } = await deps.open();
      try {
        const tenant = await getTenant(db, { accountId: account, livemode: values.live === true });
        if (kind === 'journal') {
          const r = await importManualJournal(db, tenant, { csv, author });
          deps.out(
            `${r.entries} entries (${r.lines} lines): ${r.posted} posted, ${r.alreadyPosted} already in the ledger\n`,
          );
          return 0;
        }
        const r = await importOpeningBalances(db, tenant, { csv, cutover: cutover!, author });
        const c = tenant.settings.functional_currency;
        deps.out(
          `cutover ${r.cutover}: ${r.rows} rows, ${r.posted} posted, ${r.alreadyPosted} already in the ledger\n` +
            r.tieOut
              .map(
                (t) =>
                  `  ${t.type.padEnd(16)} ${String(t.rows).padStart(6)} rows  file ${formatMinor(BigInt(t.importedMinor), c)}  ledger ${formatMinor(BigInt(t.ledgerBalanceMinor), c)}  ${t.agree ? 'ties out' : 'DIFFERS'}\n`,
              )
              .join('') +
            (r.tiedOut
              ? 'tied out: the file equals the ledger at the cutover\n'
              : 'does not tie out: see the rows marked DIFFERS\n'),
        );
        return r.tiedOut ? 0 : 1;
      } finally {
        await close();
      }
    },
  };
}
