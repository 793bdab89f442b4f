/**
 * `accrue admin` — manages support-staff keys for the Admin API: create one (the key is printed
 * once and never again), list them, revoke one by its prefix. Needs only the database.
 */
import { AccrueError } from '../../shared/errors.ts';
import { ADMIN_ROLES, type AdminRole } from '../admin/schema.ts';
import type { Db } from '../db/database.ts';
import { str, UsageError, type Command } from './framework.ts';

/** What the command needs; tests pass an open test database and capture the output. */
export interface AdminCommandDeps {
  open(): Promise<{ db: Db; close(): Promise<void> }>;
  out(s: string): void;
}

const defaultDeps: AdminCommandDeps = {
  async open() {
    const [{ loadConfig }, { openDatabase }, { createLogger }] = await Promise.all([
      import('../config/config.ts'),
      import('../db/database.ts'),
      import('../log/logger.ts'),
    ]);
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

const ACTIONS = ['create-key', 'list-keys', 'revoke-key'] as const;

/** The `admin` command. */
export function adminCommand(deps: AdminCommandDeps = defaultDeps): Command {
  return {
    name: 'admin',
    summary: 'Manage support-staff keys for the Admin API (/admin)',
    usage: 'admin <create-key --name "…" --role viewer|operator|approver | list-keys | revoke-key <prefix>>',
    details:
      'create-key prints the new key once: store it in a password manager, it cannot be shown again.\n' +
      'viewer keys read; operator keys also replay events, resolve exceptions, trigger jobs and close or reopen periods;\n' +
      'approver keys also approve or reject changes waiting in the approval queue (not their own).\n' +
      'Send a key as "Authorization: Bearer <key>" or "X-Accrue-Admin-Key: <key>".',
    options: {
      name: { type: 'string', description: 'Who the key is for (create-key)' },
      role: { type: 'string', description: `${ADMIN_ROLES.join(' or ')} (create-key)` },
      by: { type: 'string', description: 'Who creates the key (recorded with it)', default: process.env.USER ?? 'cli' },
    },
    async run({ values, positionals }) {
      const [action, prefix] = positionals;
      if (!action || !(ACTIONS as readonly string[]).includes(action))
        throw new UsageError(`name an action: ${ACTIONS.join(', ')}`);
      let input: { name: string; role: AdminRole } | null = null;
      if (action === 'create-key') {
        const name = str(values.name, 'name', true)!;
        const role = str(values.role, 'role', true)!;
        if (!(ADMIN_ROLES as readonly string[]).includes(role))
          throw new UsageError(`--role must be ${ADMIN_ROLES.join(' or ')}`);
        input = { name, role: role as AdminRole };
      }
      if (action === 'revoke-key' && !prefix) throw new UsageError('name the key to revoke by its prefix (aak_…)');
      const { createAdminKey, listAdminKeys, revokeAdminKey } = await import('../admin/keys.ts');
      const { db, close } = await deps.open();
      try {
        if (input) {
          const { key, record } = await createAdminKey(db, { ...input, createdBy: String(values.by) });
          deps.out(
            `created ${record.role} key ${record.prefix} for ${record.name}\n\n  ${key}\n\nThis is the only time the key is shown.\n`,
          );
        } else if (action === 'list-keys') {
          const keys = await listAdminKeys(db);
          deps.out(
            keys.length
              ? keys
                  .map(
                    (k) =>
                      `${k.prefix}  ${k.role.padEnd(8)}  ${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}  ${k.name}  (created ${k.createdAt.toISOString()} by ${k.createdBy}; last used ${k.lastUsedAt?.toISOString() ?? 'never'})`,
                  )
                  .join('\n') + '\n'
              : 'no admin keys yet\n',
          );
        } else {
          if (!/^aak_[A-Za-z0-9]{8}$/.test(prefix!))
            throw new AccrueError('invalid_input', `"${prefix}" is not a key prefix (aak_ and 8 letters or digits)`);
          const k = await revokeAdminKey(db, prefix!);
          deps.out(`revoked ${k.prefix} (${k.name})\n`);
        }
        return 0;
      } finally {
        await close();
      }
    },
  };
}
