/**
 * 0049 — the Settings page's one save is an audited App action too: `app_audit` accepts
 * 'settings_save', whose row (written in the save's own transaction) names the user, the settings
 * fields changed and the account roles remapped. The settings document keeps its own versioned
 * history; this row is what ties a mapping change to the person who made it.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
alter table app_audit drop constraint app_audit_action_check;
alter table app_audit add constraint app_audit_action_check check (action in (
  'exception_retry', 'exception_map_account', 'exception_exclude', 'exception_review',
  'exception_resolve', 'period_close', 'period_reopen', 'settings_save'));
`,
    )
    .execute(db);
}
