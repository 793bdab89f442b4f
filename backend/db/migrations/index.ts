/** The ordered list of migrations. Append only. */
import type { Migration } from 'kysely';
import * as m0001 from './0001_ledger.ts';
import * as m0002 from './0002_stripe_inbox.ts';
import * as m0003 from './0003_qbo.ts';
import * as m0004 from './0004_admin.ts';
import * as m0005 from './0005_fact_hash.ts';
import * as m0006 from './0006_bulk_line_check.ts';
import * as m0007 from './0007_backfill_snapshot.ts';
import * as m0008 from './0008_line_checks_per_statement.ts';
import * as m0009 from './0009_credit_notes_by_invoice.ts';
import * as m0010 from './0010_shared_process_state.ts';
import * as m0011 from './0011_tenant_keys.ts';
import * as m0020 from './0020_fx_rates.ts';
import * as m0021 from './0021_account_id_length.ts';
import * as m0030 from './0030_account_roles.ts';
import * as m0041 from './0041_credit_roles.ts';
import * as m0042 from './0042_fx_unrealized_role.ts';
import * as m0043 from './0043_connected_payable.ts';
import * as m0044 from './0044_rules.ts';
import * as m0045 from './0045_approvals.ts';
import * as m0046 from './0046_app_actions.ts';
import * as m0048 from './0048_rate_limit_windows.ts';
import * as m0049 from './0049_settings_save_audit.ts';
import * as m0050 from './0050_backfill_children.ts';

export const migrations: Record<string, Migration> = {
  '0001_ledger': m0001,
  '0002_stripe_inbox': m0002,
  '0003_qbo': m0003,
  '0004_admin': m0004,
  '0005_fact_hash': m0005,
  '0006_bulk_line_check': m0006,
  '0007_backfill_snapshot': m0007,
  '0008_line_checks_per_statement': m0008,
  '0009_credit_notes_by_invoice': m0009,
  '0010_shared_process_state': m0010,
  '0011_tenant_keys': m0011,
  '0020_fx_rates': m0020,
  '0021_account_id_length': m0021,
  '0030_account_roles': m0030,
  '0041_credit_roles': m0041,
  '0042_fx_unrealized_role': m0042,
  '0043_connected_payable': m0043,
  '0044_rules': m0044,
  '0045_approvals': m0045,
  '0046_app_actions': m0046,
  '0048_rate_limit_windows': m0048,
  '0049_settings_save_audit': m0049,
  '0050_backfill_children': m0050,
};
