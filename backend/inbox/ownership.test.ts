/**
 * Only the inbox module (`backend/inbox/`) changes `stripe_events`: every write that can make an
 * event pending requests its drain holding the inbox lock there (ARCHITECTURE invariant 8).
 * This scans every other production module for a write to the table, in Kysely or in SQL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BACKEND = fileURLToPath(new URL('..', import.meta.url));
const INBOX = fileURLToPath(new URL('.', import.meta.url));

const WRITES = [
  /\b(updateTable|insertInto|deleteFrom|replaceInto|mergeInto)\(\s*['"`]stripe_events\b/,
  /\b(update|insert\s+into|delete\s+from|truncate(\s+table)?|merge\s+into|copy)\s+(only\s+)?(public\.)?"?stripe_events\b/i,
];

function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === INBOX.replace(/[\\/]$/, '') ? [] : productionFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

describe('stripe_events', () => {
  it('is written by backend/inbox/ only', () => {
    const files = productionFiles(BACKEND);
    expect(files.length).toBeGreaterThan(50);
    const writers = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return WRITES.some((pattern) => pattern.test(text)) ? [relative(BACKEND, file)] : [];
    });
    expect(writers).toEqual([]);
  });

  it('the scan recognizes a write', () => {
    for (const write of [
      "tx.updateTable('stripe_events')",
      'db.insertInto("stripe_events")',
      'sql`update stripe_events set status = 1`',
      'delete from stripe_events',
      'insert into stripe_events (id)',
    ]) {
      expect(
        WRITES.some((pattern) => pattern.test(write)),
        write,
      ).toBe(true);
    }
    for (const read of [
      "db.selectFrom('stripe_events')",
      'select 1 from stripe_events',
      "leftJoin('stripe_events as e'",
    ]) {
      expect(
        WRITES.some((pattern) => pattern.test(read)),
        read,
      ).toBe(false);
    }
  });
});
