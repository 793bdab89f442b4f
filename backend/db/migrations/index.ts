/** The ordered list of migrations. Append only. */
import type { Migration } from 'kysely';
import * as m0001 from './0001_ledger.ts';

export const migrations: Record<string, Migration> = {
  '0001_ledger': m0001,
};
