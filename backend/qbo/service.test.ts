// Proves the QuickBooks use cases end to end against the fake, with the real intuit-oauth and
// node-quickbooks: connect by OAuth, create the missing accounts, create customers for an A/R
// mapping, post a ledger while the access token has expired (one refresh, then success), then an
// accountant edits and deletes entries: a signed webhook reaches our receiver (a forged one is
// rejected) and a CDC sweep reports exactly the edited and the deleted entry.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeQbo, type FakeQbo } from '../sandbox/qbo/server.ts';
import { generateLedger, GENERATED_ACCOUNTS } from '../sandbox/qbo/ledger.ts';
import { applyProposals, proposeAccounts } from './chart.ts';
import { configureQboEndpoints } from './endpoints.ts';
import { configureOAuthRetries, InMemoryStateStore, InMemoryTokenStore, QboOAuth } from './oauth.ts';
import { mappingKey } from './posting.ts';
import { customerDisplayName, ensureCustomers, openSession, postLedger, sweepChanges } from './service.ts';
import { InMemorySyncStore } from './sync-store.ts';
import { parseIntuitWebhook, verifyIntuitSignature, type WebhookChange } from './webhook.ts';

const VERIFIER = 'verifier-for-tests';
const REDIRECT = 'https://accrue.test/qbo/callback';

describe('QuickBooks service, end to end', () => {
  let fake: FakeQbo;
  let receiver: Server;
  let receiverUrl: string;
  const received: WebhookChange[] = [];
  let rejected = 0;

  beforeAll(async () => {
    fake = await startFakeQbo();
    fake.registerApp({ clientId: 'cid', clientSecret: 'csecret', redirectUris: [REDIRECT] });
    configureQboEndpoints({ QBO_API_BASE: fake.url, QBO_OAUTH_BASE: fake.url });
    configureOAuthRetries({ retryDelay_ms: 1 });
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (!verifyIntuitSignature(body, req.headers['intuit-signature'] as string | undefined, VERIFIER)) {
          rejected++;
          res.writeHead(401).end();
          return;
        }
        received.push(...parseIntuitWebhook(body));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/intuit`;
  });
  afterAll(async () => {
    await fake.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('connects, maps, posts through a token refresh, and detects accountant changes', async () => {
    const realmId = fake.createRealm({ companyName: 'Service Co' });
    const tokens = new InMemoryTokenStore();
    const oauth = new QboOAuth({
      clientId: 'cid',
      clientSecret: 'csecret',
      redirectUri: REDIRECT,
      stateSecret: 's'.repeat(40),
      tokens,
      states: new InMemoryStateStore(),
    });
    const consent = await fetch(oauth.authorizationUrl('tenant-9').url, { redirect: 'manual' });
    await oauth.handleCallback(consent.headers.get('location')!);
    const session = await openSession(oauth, 'tenant-9');
    expect(session.realmId).toBe(realmId);

    // Chart: create what is missing, then point receivables at the real A/R account.
    const chart = await session.api.listAccounts({ includeInactive: true });
    const accounts = await applyProposals(session.api, proposeAccounts(GENERATED_ACCOUNTS, chart));
    const ar = chart.find((a) => a.AccountType === 'Accounts Receivable')!;
    accounts.set(mappingKey('receivable', 'Stripe Receivables'), { id: ar.Id, accountType: ar.AccountType });

    const lines = generateLedger({
      tenantId: 'tenant-9',
      months: ['2026-07', '2026-08'],
      entriesPerMonth: 12,
      customers: 3,
    });
    const stripeCustomers = [...new Set(lines.map((l) => l.customer!))].map((id) => ({
      stripeCustomerId: id,
      name: `Name of ${id}`,
    }));
    const customers = await ensureCustomers(session, stripeCustomers);
    expect(customers.size).toBe(3);
    expect(fake.customers(realmId).map((c) => c.DisplayName)).toContain(
      customerDisplayName('cus_00001', 'Name of cus_00001'),
    );
    expect(await ensureCustomers(session, stripeCustomers)).toEqual(customers); // found, not duplicated
    expect(fake.customers(realmId)).toHaveLength(3);

    // The access token dies before posting: the executor refreshes once through OAuth and goes on.
    fake.expireAccessTokens(realmId);
    const store = new InMemorySyncStore();
    const result = await postLedger({ session, store, lines, accounts, customers, mode: 'detailed' });
    expect(result.failed).toEqual([]);
    expect(result.posted).toBe(24);
    expect(result.postedEntryIds).toHaveLength(24);
    expect(oauth.refreshCalls).toBe(1);
    const arLines = fake
      .journalEntries(realmId)
      .flatMap((je) => je.Line)
      .filter((l) => l.JournalEntryLineDetail.AccountRef.value === ar.Id);
    expect(arLines.length).toBeGreaterThan(0);
    expect(arLines.every((l) => l.JournalEntryLineDetail.Entity?.Type === 'Customer')).toBe(true);

    // An accountant edits one entry and deletes another; QuickBooks notifies us.
    const since = new Date(Date.now() - 1000).toISOString();
    const records = await store.list(realmId, { state: 'posted' });
    const [edited, deleted] = [records[0]!, records[1]!];
    fake.editJournalEntry(realmId, edited.qboId!, (je) => {
      je.TxnDate = '2026-08-28';
    });
    fake.deleteJournalEntry(realmId, deleted.qboId!);
    fake.setWebhookTarget({ url: receiverUrl, verifierToken: 'wrong-token' });
    expect(await fake.flushWebhooks()).toEqual([401]);
    expect(rejected).toBe(1);
    fake.editJournalEntry(realmId, edited.qboId!, (je) => {
      je.PrivateNote = 'second touch';
    });
    fake.setWebhookTarget({ url: receiverUrl, verifierToken: VERIFIER });
    expect(await fake.flushWebhooks()).toEqual([200]);
    expect(received).toEqual([
      expect.objectContaining({ realmId, entity: 'JournalEntry', entityId: edited.qboId, operation: 'update' }),
    ]);

    const sweep = await sweepChanges(session, store, since);
    expect(sweep.truncated).toBe(false);
    expect(sweep.drift.map((d) => [d.kind, d.qboId]).sort()).toEqual(
      [
        ['deleted', deleted.qboId],
        ['edited', edited.qboId],
      ].sort(),
    );
    expect(sweep.drift.find((d) => d.kind === 'edited')).toMatchObject({
      linesChanged: false,
      current: { syncToken: '2' },
    });
    expect(sweep.nextSince).toMatch(/Z$/);
  });
});
