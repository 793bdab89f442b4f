/**
 * `accrue approvals list|approve|reject` — the approval queue from the command line: list a
 * tenant's requests with their audit trail, approve one (its change is applied then) or reject it
 * with a reason. The CLI runs with the database's own rights, so its user counts as an approver;
 * `--as` names them, and the queue still refuses a decision by the request's own requester.
 */
import { formatMinor } from '../../shared/money.ts';
import type { Approval } from '../app/approvals/queue.ts';
import type { Currency } from '../../shared/money.ts';
import { str, UsageError, type Command } from './framework.ts';
import type { ImportCommandDeps } from './imports.ts';
import { defaultImportDeps } from './imports.ts';
import { TENANT_OPTIONS } from './shared.ts';

const ACTIONS = ['list', 'approve', 'reject'] as const;
const STATUSES = ['pending', 'approved', 'rejected', 'all'] as const;

function line(a: Approval, c: Currency): string {
  const moves = a.movementMinor === null ? '' : `  (${formatMinor(BigInt(a.movementMinor), c)} ${c.toUpperCase()})`;
  const decided = a.decidedBy ? `  ${a.status} by ${a.decidedBy} at ${a.decidedAt}` : '';
  return `#${a.id}  ${a.status.padEnd(8)}  ${a.kind}  ${a.summary}${moves}\n      requested by ${a.requestedBy} at ${a.requestedAt}: ${a.reason}${decided}\n`;
}

/** The `approvals` command. */
export function approvalsCommand(deps: ImportCommandDeps = defaultImportDeps): Command {
  return {
    name: 'approvals',
    summary:
      'List, approve or reject changes waiting for a second user (manual journals, period reopens, rule changes)',
    usage:
      'approvals list --tenant acct_… [--live] [--status pending|approved|rejected|all]\n       accrue approvals approve <id> --tenant acct_… --as NAME [--note "…"]\n       accrue approvals reject <id> --tenant acct_… --as NAME --note "why"',
    details:
      'A change above the tenant\u2019s approval_threshold_minor waits here; approving applies it. The requester cannot\n  decide their own request. See docs/accounting.md, "Approvals".',
    options: {
      ...TENANT_OPTIONS,
      status: { type: 'string', description: 'list: which requests (default pending)' },
      as: { type: 'string', description: 'approve/reject: who decides (recorded on the audit trail)' },
      note: { type: 'string', description: 'Why (required to reject)' },
    },
    async run({ values, positionals }) {
      // Loaded when the command runs, so `accrue --help` stays quick (kinds.ts registers the kinds).
      const [{ approveChange, listApprovals, rejectChange }, , { checkAccountId, getTenant }] = await Promise.all([
        import('../app/approvals/queue.ts'),
        import('../app/approvals/kinds.ts'),
        import('../ledger/tenants.ts'),
      ]);
      const [action, id] = positionals;
      if (!action || !(ACTIONS as readonly string[]).includes(action))
        throw new UsageError(`name an action: ${ACTIONS.join(', ')}`);
      if (action !== 'list' && (!id || !/^\d{1,18}$/.test(id)))
        throw new UsageError(`name the request to ${action} by its number`);
      const status = str(values.status, 'status') ?? 'pending';
      if (!(STATUSES as readonly string[]).includes(status))
        throw new UsageError(`--status must be ${STATUSES.join(', ')}`);
      const account = str(values.tenant, 'tenant', true)!;
      checkAccountId(account);
      const actor = action === 'list' ? '' : str(values.as, 'as', true)!;
      const note = action === 'reject' ? str(values.note, 'note', true) : str(values.note, 'note');
      const { db, close } = await deps.open();
      try {
        const tenant = await getTenant(db, { accountId: account, livemode: values.live === true });
        const c = tenant.settings.functional_currency;
        if (action === 'list') {
          const items = await listApprovals(db, tenant, { status: status as (typeof STATUSES)[number] });
          deps.out(
            items.length
              ? items.map((a) => line(a, c)).join('')
              : `no ${status === 'all' ? '' : `${status} `}requests\n`,
          );
          return 0;
        }
        const decider = { actor, isApprover: true };
        const a =
          action === 'approve'
            ? await approveChange(db, tenant, id!, decider, note)
            : await rejectChange(db, tenant, id!, decider, note!);
        deps.out(line(a, c));
        return 0;
      } finally {
        await close();
      }
    },
  };
}
