/** The ordered list of migrations. Append only. */
import type { Migration } from 'kysely';
import * as m0001 from './0001_ledger.ts';
import * as m0002 from './0002_stripe_inbox.ts';

export const migrations: Record<string, Migration> = {
  '0001_ledger': m0001,
  '0002_stripe_inbox': m0002,
};
