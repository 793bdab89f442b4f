// Proves the fake QuickBooks is faithful where Accrue depends on it (docs/quickbooks.md §10 The
// sandbox's fidelity; backend/sandbox/README.md, "Fidelity"), driven through the real
// node-quickbooks adapter where possible and raw HTTP elsewhere: envelopes and string ids;
// requestid replay; the JournalEntry validation codes; stale SyncToken; 610 after delete; the
// query grammar (case-insensitive entity, OR refused, count, empty result); batch limits; CDC
// limits; gateway 401/403 bodies; throttling that counts peak in-flight and per-minute requests
// and answers 429 (JSON or XML); and injected timeouts, drops and 5xx, each normalized by the
// adapter into the right error kind.
import { QboAdapter, QboApiError, normalizeQboError, type QboJournalEntry } from '../../../backend/qbo/adapter.ts';
import { configureQboEndpoints } from '../../../backend/qbo/endpoints.ts';
import { startFakeQbo, type FakeQbo, type Json } from '../../../backend/sandbox/qbo/server.ts';

let fake: FakeQbo;
let realmId: string;
let api: QboAdapter;
let token: string;
let acct: Record<string, string>;

beforeAll(async () => {
  fake = await startFakeQbo({ seed: 3 });
  realmId = fake.createRealm({ companyName: 'Fidelity Inc' });
  configureQboEndpoints({ QBO_API_BASE: fake.url, QBO_OAUTH_BASE: fake.url });
  token = fake.issueAccessToken(realmId);
  api = new QboAdapter({ realmId, accessToken: token, timeout_ms: 300 });
  acct = Object.fromEntries(fake.accounts(realmId).map((a) => [a.Name as string, a.Id as string]));
});
afterAll(async () => fake.close());

function je(
  debit: number,
  credit: number,
  extra: Partial<QboJournalEntry> = {},
  debitAccount = acct['Checking']!,
  creditAccount = acct['Services']!,
): QboJournalEntry {
  return {
    TxnDate: '2026-05-10',
    Line: [
      {
        DetailType: 'JournalEntryLineDetail',
        Amount: debit,
        JournalEntryLineDetail: { PostingType: 'Debit', AccountRef: { value: debitAccount } },
      },
      {
        DetailType: 'JournalEntryLineDetail',
        Amount: credit,
        JournalEntryLineDetail: { PostingType: 'Credit', AccountRef: { value: creditAccount } },
      },
    ],
    ...extra,
  };
}

async function errorOf(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(QboApiError);
  return (e as QboApiError).error;
}

async function raw(
  path: string,
  init: RequestInit = {},
  realm = realmId,
  bearer = token,
): Promise<{ status: number; body: Json; text: string }> {
  const res = await fetch(`${fake.url}/v3/company/${realm}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const text = await res.text();
  let body: Json;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

describe('fake QuickBooks fidelity', () => {
  it('creates with QuickBooks envelopes and replays a repeated requestid', async () => {
    const created = await api.createJournalEntry(je(10.5, 10.5, { DocNumber: 'FID-1' }), 'req-fid-1');
    expect(created).toMatchObject({
      Id: expect.any(String),
      SyncToken: '0',
      domain: 'QBO',
      sparse: false,
      DocNumber: 'FID-1',
    });
    expect(created.Line[0]!.JournalEntryLineDetail.AccountRef).toEqual({ value: acct['Checking'], name: 'Checking' });
    const replay = await api.createJournalEntry(je(10.5, 10.5, { DocNumber: 'FID-1' }), 'req-fid-1');
    expect(replay.Id).toBe(created.Id);
    expect(fake.stats(realmId).replays).toBe(1);
    expect(fake.journalEntries(realmId).filter((x) => x.DocNumber === 'FID-1')).toHaveLength(1);
    const tooLong = await errorOf(api.createJournalEntry(je(1, 1), 'r'.repeat(51)));
    expect(tooLong).toMatchObject({ kind: 'validation', code: '6000' });
  });

  // Bodies are built lazily: the accounts exist only once beforeAll has run.
  it.each<[string, string, string, () => QboJournalEntry]>([
    ['unbalanced', '2300', 'validation', () => je(10, 9)],
    ['negative amount', '2290', 'validation', () => je(-1, -1)],
    ['too many decimals', '2090', 'validation', () => je(1.001, 1.001)],
    ['unknown account', '2500', 'validation', () => je(1, 1, {}, '9999')],
    ['DocNumber longer than 21', '2050', 'validation', () => je(1, 1, { DocNumber: 'X'.repeat(22) })],
    ['Id on create', '610', 'not_found', () => je(1, 1, { Id: '5' })],
    ['A/R line without customer', '6000', 'validation', () => je(1, 1, {}, acct['Accounts Receivable (A/R)'])],
  ])('refuses %s with code %s (%s)', async (name, code, kind, body) => {
    expect(await errorOf(api.createJournalEntry(body(), `req-bad-${name.replace(/\W/g, '')}`))).toMatchObject({
      code,
      kind,
    });
  });

  it('refuses a missing PostingType, an inactive account and a duplicate DocNumber', async () => {
    const noType = je(1, 1);
    delete (noType.Line[0]!.JournalEntryLineDetail as { PostingType?: string }).PostingType;
    expect(await errorOf(api.createJournalEntry(noType, 'req-nt'))).toMatchObject({ code: '2260' });
    const [inactive] = fake.seedAccounts(realmId, [{ Name: 'Dormant', AccountType: 'Income' }]);
    fake.setAccountActive(realmId, inactive!, false);
    expect(await errorOf(api.createJournalEntry(je(1, 1, {}, acct['Checking'], inactive), 'req-in'))).toMatchObject({
      code: '610',
      kind: 'not_found',
    });
    await api.createJournalEntry(je(2, 2, { DocNumber: 'DUP-1' }), 'req-dup-a');
    expect(await errorOf(api.createJournalEntry(je(2, 2, { DocNumber: 'DUP-1' }), 'req-dup-b'))).toMatchObject({
      code: '6140',
      kind: 'validation',
    });
    const allowed = await raw('/journalentry?include=allowduplicatedocnum&minorversion=75', {
      method: 'POST',
      body: JSON.stringify(je(2, 2, { DocNumber: 'DUP-1' })),
    });
    expect(allowed.status).toBe(200);
  });

  it('refuses a closed period with 6200 (6210 with a password) and answers stale SyncTokens with 5010', async () => {
    fake.setBookCloseDate(realmId, '2026-05-31');
    expect(await errorOf(api.createJournalEntry(je(1, 1), 'req-closed'))).toMatchObject({
      kind: 'closed_period',
      code: '6200',
    });
    fake.setBookCloseDate(realmId, '2026-05-31', { password: true });
    expect(await errorOf(api.createJournalEntry(je(1, 1), 'req-closed-2'))).toMatchObject({
      kind: 'closed_period',
      code: '6210',
    });
    expect((await api.getPreferences()).AccountingInfoPrefs?.BookCloseDate).toBe('2026-05-31');
    fake.setBookCloseDate(realmId, undefined);

    const created = await api.createJournalEntry(je(3, 3, { TxnDate: '2026-06-01' }), 'req-stale');
    fake.editJournalEntry(realmId, created.Id!, (x) => {
      x.PrivateNote = 'edited';
    });
    const stale = await raw('/journalentry?operation=update', {
      method: 'POST',
      body: JSON.stringify({ Id: created.Id, SyncToken: '0', sparse: true, PrivateNote: 'mine' }),
    });
    expect(stale.status).toBe(400);
    expect(stale.body.Fault.Error[0].code).toBe('5010');
    const ok = await raw('/journalentry?operation=update', {
      method: 'POST',
      body: JSON.stringify({ Id: created.Id, SyncToken: '1', sparse: true, PrivateNote: 'mine' }),
    });
    expect(ok.body.JournalEntry).toMatchObject({ SyncToken: '2', PrivateNote: 'mine' });
    const del = await raw('/journalentry?operation=delete', {
      method: 'POST',
      body: JSON.stringify({ Id: created.Id, SyncToken: '2' }),
    });
    expect(del.body.JournalEntry).toEqual({ Id: created.Id, status: 'Deleted', domain: 'QBO' });
    expect(await errorOf(api.getJournalEntry(created.Id!))).toMatchObject({ kind: 'not_found', code: '610' });
  });

  it('parses queries like QuickBooks: any entity case, AND only, count, escapes, empty result', async () => {
    const q = async (text: string) => raw(`/query?query=${encodeURIComponent(text)}&minorversion=75`);
    expect(
      (await q("select * from journalEntry where DocNumber = 'FID-1'")).body.QueryResponse.JournalEntry,
    ).toHaveLength(1);
    expect(
      (await q("SELECT * FROM JOURNALENTRY WHERE DocNumber IN ('FID-1','DUP-1') ORDERBY Id DESC MAXRESULTS 2")).body
        .QueryResponse.maxResults,
    ).toBe(2);
    expect(
      (await q("select count(*) from JournalEntry where DocNumber LIKE 'DUP%'")).body.QueryResponse.totalCount,
    ).toBe(2);
    expect((await q("select * from Account where Name = 'O\\'Brien'")).body).toMatchObject({ QueryResponse: {} });
    const orQuery = await q("select * from Account where Name = 'A' or Name = 'B'");
    expect(orQuery.status).toBe(400);
    expect(orQuery.body.Fault.Error[0].code).toBe('4000');
    const post = await raw('/query', {
      method: 'POST',
      body: "select * from Account where AccountType = 'Bank'",
      headers: { 'content-type': 'application/text' },
    });
    expect(post.body.QueryResponse.Account.map((a: { Name: string }) => a.Name)).toEqual(['Checking']);
    expect(await api.findCustomerByDisplayName("O'Brien & Co")).toBeUndefined();
    const c = await api.createCustomer({ DisplayName: "O'Brien & Co" });
    expect((await api.findCustomerByDisplayName("O'Brien & Co"))?.Id).toBe(c.Id);
    expect(await errorOf(api.createCustomer({ DisplayName: "O'Brien & Co" }))).toMatchObject({ code: '6240' });
  });

  it('answers batch items individually and refuses more than 30', async () => {
    const items = [
      { bId: '1', operation: 'create', JournalEntry: je(4, 4) },
      { bId: '2', operation: 'create', JournalEntry: je(4, 5) },
      { bId: '3', Query: "select * from Account where Name = 'Checking'" },
    ];
    const r = await raw('/batch', { method: 'POST', body: JSON.stringify({ BatchItemRequest: items }) });
    expect(r.status).toBe(200);
    expect(r.body.BatchItemResponse[0].JournalEntry.Id).toBeDefined();
    expect(r.body.BatchItemResponse[1].Fault.Error[0].code).toBe('2300');
    expect(r.body.BatchItemResponse[2].QueryResponse.Account).toHaveLength(1);
    const big = await raw('/batch', {
      method: 'POST',
      body: JSON.stringify({
        BatchItemRequest: Array.from({ length: 31 }, (_, i) => ({ bId: String(i), Query: 'select * from Account' })),
      }),
    });
    expect(big.body.Fault.Error[0].code).toBe('1040');
  });

  it('limits CDC to 30 days and to UTC Z timestamps in the adapter', async () => {
    const old = await raw(
      `/cdc?entities=JournalEntry&changedSince=${new Date(Date.now() - 31 * 86_400_000).toISOString()}`,
    );
    expect(old.status).toBe(400);
    await expect(api.changeDataCapture(['JournalEntry'], '2026-11-30T10:00:00+05:30')).rejects.toThrow(/ending in Z/);
    const cdc = await api.changeDataCapture(
      ['JournalEntry', 'Account'],
      new Date(Date.now() - 3_600_000).toISOString(),
    );
    expect(cdc.changes['JournalEntry']!.length).toBeGreaterThan(0);
    expect(cdc.changes['Account']!.length).toBeGreaterThan(0);
  });

  it('answers bad tokens with the gateway 401 body and other realms with 403', async () => {
    const r401 = await raw('/preferences', {}, realmId, 'nope');
    expect(r401.status).toBe(401);
    expect(r401.body.fault.error[0]).toMatchObject({
      code: '3200',
      message: expect.stringContaining('errorCode=003200'),
    });
    expect(typeof r401.body.time).toBe('number');
    const other = fake.createRealm();
    const err = await errorOf(new QboAdapter({ realmId: other, accessToken: token }).getPreferences());
    expect(err).toMatchObject({ kind: 'forbidden', code: '3100', status: 403 });
    expect(err.intuitTid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts concurrency and answers 429 beyond 10 in flight', async () => {
    const r = fake.createRealm();
    const t = fake.issueAccessToken(r);
    fake.setLatency(300); // long enough that all 16 overlap even on a busy machine
    const results = await Promise.all(Array.from({ length: 16 }, () => raw('/preferences', {}, r, t)));
    fake.setLatency(0);
    const stats = fake.stats(r);
    // Ten are served; each of the six others is counted in flight (peak 11) and refused at once.
    expect(stats.peakInFlight).toBe(11);
    expect(stats.throttled).toBe(6);
    expect(results.filter((x) => x.status === 429)).toHaveLength(6);
    expect(results.find((x) => x.status === 429)!.body.fault.error[0].code).toBe('3001');
  });

  it('answers 429 beyond the per-minute budget, in JSON or XML, and the adapter calls both throttled', async () => {
    const r = fake.createRealm();
    const limited = new QboAdapter({ realmId: r, accessToken: fake.issueAccessToken(r) });
    fake.setThrottle({ perMinute: 5 });
    for (let i = 0; i < 5; i++) await limited.getPreferences();
    expect(await errorOf(limited.getPreferences())).toMatchObject({ kind: 'throttled', code: '3001', status: 429 });
    expect(fake.stats(r).peakPerMinute).toBe(6);
    fake.setThrottle({ perMinute: 500 });
    const xml = normalizeQboError({
      response: {
        status: 429,
        headers: {},
        data: '<IntuitResponse><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded</Message></Error></Fault></IntuitResponse>',
      },
    });
    expect(xml).toMatchObject({ kind: 'throttled', code: '3001' });
  });

  it('injects timeouts, dropped responses after commit, and 5xx', async () => {
    fake.injectFault(realmId, { kind: 'timeout', hang_ms: 1000, match: { entity: 'preferences' } });
    expect(await errorOf(api.getPreferences())).toMatchObject({ kind: 'timeout' });
    const before = fake.journalEntries(realmId).length;
    fake.injectFault(realmId, { kind: 'drop_after_commit', match: { entity: 'journalentry', operation: 'create' } });
    expect(await errorOf(api.createJournalEntry(je(6, 6, { DocNumber: 'DROP-1' }), 'req-drop'))).toMatchObject({
      kind: 'network',
    });
    expect(fake.journalEntries(realmId).length).toBe(before + 1); // committed anyway
    expect((await api.createJournalEntry(je(6, 6, { DocNumber: 'DROP-1' }), 'req-drop')).DocNumber).toBe('DROP-1'); // replayed
    expect(fake.journalEntries(realmId).length).toBe(before + 1);
    fake.injectFault(realmId, { kind: 'status', status: 502, match: { entity: 'preferences' } });
    expect(await errorOf(api.getPreferences())).toMatchObject({ kind: 'server', status: 502 });
  });

  it('keeps an outage going until its end by the clock, answering every request 503, then serves again', async () => {
    fake.injectFault(realmId, { kind: 'outage', until_ms: Date.now() + 300, match: { entity: 'preferences' } });
    for (let i = 0; i < 3; i++)
      expect(await errorOf(api.getPreferences())).toMatchObject({ kind: 'server', status: 503 });
    await new Promise((r) => setTimeout(r, 350));
    expect((await api.getPreferences()).CurrencyPrefs).toBeDefined();
  });

  it('saw minorversion=75 on every request the adapter sent', () => {
    const r = fake.createRealm();
    const st = fake.stats(realmId);
    expect(Object.keys(st.minorVersions).sort()).toEqual(['75', 'none']); // 'none' = the raw fetches of this file
    expect(st.minorVersions['75']).toBeGreaterThan(20);
    expect(fake.stats(r).minorVersions).toEqual({});
  });

  it('normalizes 200-with-Fault and lowercase fault bodies', () => {
    expect(
      normalizeQboError({
        Fault: { Error: [{ Message: 'Stale Object Error', code: '5010' }], type: 'ValidationFault' },
      }),
    ).toMatchObject({ kind: 'stale', code: '5010' });
    expect(
      normalizeQboError({ fault: { error: [{ message: 'message=AuthenticationFailed', code: '3200' }] } }),
    ).toMatchObject({ kind: 'auth', code: '3200' });
    expect(normalizeQboError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toMatchObject({
      kind: 'network',
      code: 'ECONNRESET',
    });
  });

  it('emits the hard-expiry field only when asked for it', async () => {
    fake.registerApp({ clientId: 'c', clientSecret: 's', redirectUris: ['https://x.test/cb'] });
    const auth = await fetch(
      `${fake.url}/connect/oauth2?client_id=c&redirect_uri=${encodeURIComponent('https://x.test/cb')}&response_type=code&scope=com.intuit.quickbooks.accounting&state=s1`,
      { redirect: 'manual' },
    );
    const code = new URL(auth.headers.get('location')!).searchParams.get('code')!;
    const basic = `Basic ${Buffer.from('c:s').toString('base64')}`;
    const tok = await fetch(`${fake.url}/oauth2/v1/tokens/bearer`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'https://x.test/cb',
      }).toString(),
    }).then((r) => r.json() as Promise<Record<string, unknown>>);
    expect(tok['x_refresh_token_hard_expires_in']).toBeUndefined();
    const refreshed = await fetch(`${fake.url}/oauth2/v1/tokens/bearer`, {
      method: 'POST',
      headers: {
        authorization: basic,
        'content-type': 'application/x-www-form-urlencoded',
        'x-include-refresh-token-hard-expires-in': 'true',
      },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: String(tok['refresh_token']),
      }).toString(),
    }).then((r) => r.json() as Promise<Record<string, unknown>>);
    expect(refreshed['x_refresh_token_hard_expires_in']).toBeGreaterThan(150_000_000);
    expect(refreshed['refresh_token']).toBe(tok['refresh_token']); // same value within 24 h
    const bad = await fetch(`${fake.url}/oauth2/v1/tokens/bearer`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('c:wrong').toString('base64')}` },
      body: '',
    });
    expect(bad.status).toBe(401);
  });
});
