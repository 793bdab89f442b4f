/**
 * Test helpers for running Stripe event streams through the real pipeline: a fresh database, the
 * Stripe fake, storing events in the inbox, draining it, releasing, and reading the journal back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Stripe from 'stripe';
import { drainInbox, releaseThrough, type ProcessDeps } from '../../backend/app/process.ts';
import { Jobs } from '../../backend/jobs/runner.ts';
import { loadLedgerLines } from '../../backend/ledger/ledger.ts';
import { ensureTenant, type Tenant } from '../../backend/ledger/tenants.ts';
import { createStripeClient } from '../../backend/stripe/client.ts';
import { storeEvent } from '../../backend/inbox/store.ts';
import { createStripeReader } from '../../backend/stripe/reader.ts';
import { toJournalCsv } from '../../shared/reports/index.ts';
import type { TenantSettingsInput } from '../../shared/settings.ts';
import { startStripeFake, type StripeFake } from '../../backend/sandbox/stripe/server.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { prng } from '../../shared/prng.ts';
export { prng };

export const FAKE_KEY = 'sk_test_pipeline';

export function readJsonl(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function goldenLines(names: string[]): Record<string, unknown>[] {
  return names.flatMap((n) => readJsonl(join(import.meta.dirname, '..', 'golden', n, 'input.jsonl')));
}

export const eventsOf = (lines: Record<string, unknown>[]) =>
  lines.filter((l) => l.object === 'event') as unknown as Stripe.Event[];

export interface Books {
  t: TestDatabase;
  jobs: Jobs;
  fake: StripeFake;
  deps: ProcessDeps;
  stripe: Stripe;
  tenant: Tenant;
  close(): Promise<void>;
}

/** Fresh books for one account, with the fake loaded from `lines`. */
export async function freshBooks(
  lines: Record<string, unknown>[],
  account: string,
  settings: TenantSettingsInput = {},
): Promise<Books> {
  const t = await createTestDatabase();
  const jobs = await new Jobs({ url: t.url }).start();
  const fake = await startStripeFake({ apiKey: FAKE_KEY });
  fake.load(lines, account);
  const stripe = createStripeClient({ secretKey: FAKE_KEY, apiBase: fake.url });
  const deps: ProcessDeps = { db: t.db, jobs, readerFor: (tenant) => createStripeReader(stripe, tenant.accountId) };
  const tenant = await ensureTenant(t.db, { accountId: account, livemode: false }, settings);
  return {
    t,
    jobs,
    fake,
    deps,
    stripe,
    tenant,
    async close() {
      await jobs.stop();
      await fake.close();
      await t.close();
    },
  };
}

export async function deliver(b: Books, events: Stripe.Event[]): Promise<void> {
  for (const e of events) await storeEvent(b.t.db, b.jobs, e, 'webhook');
}

export async function settle(b: Books, through: string): Promise<string> {
  await drainInbox(b.deps, b.tenant.id);
  await releaseThrough(b.deps, b.tenant.id, through);
  return toJournalCsv(await loadLedgerLines(b.t.db, b.tenant.id));
}
