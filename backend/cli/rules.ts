/**
 * `accrue rules list|preview|save` — the rule list from the command line. `preview <rules.json>`
 * shows, without writing, the revenue each period and invoice would move if the file became the
 * rule list; `save <rules.json>` makes it the rule list and re-applies it (corrections for closed
 * periods post in the first open period, caused by the change). The file is the whole list: a JSON
 * array of rules, or `{"rules": [...]}`. A bad file names the field and exits 2.
 */
import { readFile } from 'node:fs/promises';
import type { RulePreviewResponse } from '../../shared/api/rules.ts';
import { AccrueError } from '../../shared/errors.ts';
import { formatMinor, type Currency } from '../../shared/money.ts';
import type { Db } from '../db/database.ts';
import { str, UsageError, type Command } from './framework.ts';
import type { ImportCommandDeps } from './imports.ts';
import { TENANT_OPTIONS } from './shared.ts';

const ACTIONS = ['list', 'preview', 'save'] as const;
/** Invoices printed under a preview; the rest are counted. */
const INVOICES_PRINTED = 20;

async function readRulesFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new AccrueError('invalid_input', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed : (parsed as { rules?: unknown }).rules;
  } catch {
    throw new AccrueError('invalid_input', `${path} is not JSON`);
  }
}

/** The file as a change on the current revision; a bad rule is `invalid_input` naming its field. */
async function changeOf(db: Db, tenantId: bigint, path: string, reason: string | undefined) {
  const [{ ruleRevision }, { RuleChangeRequestSchema }] = await Promise.all([
    import('../app/rules/rule-store.ts'),
    import('../../shared/api/rules.ts'),
  ]);
  const rules = await readRulesFile(path);
  const body = { revision: await ruleRevision(db, tenantId), rules, ...(reason ? { reason } : {}) };
  const r = RuleChangeRequestSchema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new AccrueError('invalid_input', `${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return r.data;
}

function printPreview(p: RulePreviewResponse, currency: Currency): string {
  if (!p.periods.length) return `no revenue moves (through ${p.through})\n`;
  const money = (m: string) => formatMinor(BigInt(m), currency).padStart(14);
  const periods = p.periods.map(
    (m) =>
      `  ${m.period.padEnd(9)} ${money(m.revenue_minor)}  ${m.closed ? `closed: a correction in ${m.posts_in}` : 'open'}\n`,
  );
  const invoices = p.invoices
    .slice(0, INVOICES_PRINTED)
    .map(
      (i) =>
        `  ${i.invoice} (${i.customer ?? 'no customer'}): ${i.periods.map((m) => `${m.period} ${formatMinor(BigInt(m.revenue_minor), currency)}`).join(', ')}\n`,
    );
  const more = p.invoices_total > invoices.length ? `  … and ${p.invoices_total - invoices.length} more\n` : '';
  return `revenue moved per period (through ${p.through}):\n${periods.join('')}${p.invoices_total} invoices:\n${invoices.join('')}${more}`;
}

/** The `rules` command. */
export function rulesCommand(deps: Pick<ImportCommandDeps, 'open' | 'out'>): Command {
  return {
    name: 'rules',
    summary: 'List the rule list, preview a change of it, or save one (re-applied to past bookings)',
    usage:
      'rules list --tenant acct_… [--live]\n       accrue rules preview|save <rules.json> --tenant acct_… [--live] [--reason TEXT]',
    details:
      'The file is the whole rule list after the change (a JSON array of rules, or {"rules": [...]}), each rule\n  with id, position (unique), conditions, and a treatment or a split; see docs/accounting.md, "Rules".\npreview writes nothing; save re-books what the change moves (closed periods: corrections in the first open one).',
    options: {
      ...TENANT_OPTIONS,
      reason: { type: 'string', description: 'save: why the rules change (kept with the change)' },
      author: { type: 'string', description: 'Who saves it', default: process.env.USER ?? 'cli' },
    },
    async run({ values, positionals }) {
      const [{ previewForTenant, rulesOf, saveForTenant }, { checkAccountId, getTenant }] = await Promise.all([
        import('../app/rules/rule-list.ts'),
        import('../ledger/tenants.ts'),
      ]);
      const [action, file] = positionals;
      if (!action || !(ACTIONS as readonly string[]).includes(action))
        throw new UsageError(`name an action: ${ACTIONS.join(', ')}`);
      if (action !== 'list' && (!file || positionals.length !== 2)) throw new UsageError('give exactly one rules file');
      const account = str(values.tenant, 'tenant', true)!;
      checkAccountId(account);
      const { db, close } = await deps.open();
      try {
        const tenant = await getTenant(db, { accountId: account, livemode: values.live === true });
        const currency = tenant.settings.functional_currency;
        if (action === 'list') {
          deps.out(`${JSON.stringify(await rulesOf(db, tenant, true), null, 2)}\n`);
          return 0;
        }
        const change = await changeOf(db, tenant.id, file!, str(values.reason, 'reason'));
        if (action === 'preview') {
          deps.out(printPreview(await previewForTenant(db, tenant, change), currency));
          return 0;
        }
        const saved = await saveForTenant(db, tenant, `cli:${str(values.author, 'author', true)!}`, change);
        if (saved.approval)
          deps.out(
            `${saved.approval.summary}: waits for approval, request ${saved.approval.id} (accrue approvals approve ${saved.approval.id})\n`,
          );
        else deps.out(`saved rule change ${saved.change_id}: ${saved.entries_posted} entries posted\n`);
        deps.out(printPreview(saved.preview, currency));
        return 0;
      } finally {
        await close();
      }
    },
  };
}
