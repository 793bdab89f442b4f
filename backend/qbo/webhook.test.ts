// Proves Intuit webhook handling: a body signed by the fake with the verifier token is accepted,
// while a changed body, a wrong token, a missing or malformed signature are rejected; CloudEvents
// and legacy payloads parse into the same change records; junk payloads are refused.
import { cloudEvents, legacyNotification, signWebhook } from '../sandbox/qbo/server.ts';
import { parseIntuitWebhook, verifyIntuitSignature } from './webhook.ts';

const TOKEN = 'verifier-token-123';
const changes = [
  {
    realmId: '9130',
    entity: 'JournalEntry',
    id: '1043',
    operation: 'deleted' as const,
    time: '2026-11-30T18:05:00.123Z',
  },
  { realmId: '9130', entity: 'Account', id: '92', operation: 'updated' as const, time: '2026-11-30T18:06:00.000Z' },
];

describe('Intuit webhooks', () => {
  it('accepts a correctly signed body and rejects tampering, wrong keys and bad signatures', () => {
    const { body, signature } = signWebhook(cloudEvents(changes), TOKEN);
    expect(verifyIntuitSignature(body, signature, TOKEN)).toBe(true);
    expect(verifyIntuitSignature(Buffer.from(body), signature, TOKEN)).toBe(true);
    expect(verifyIntuitSignature(body.replace('1043', '1044'), signature, TOKEN)).toBe(false);
    expect(verifyIntuitSignature(`${body} `, signature, TOKEN)).toBe(false);
    expect(verifyIntuitSignature(body, signature, 'other-token')).toBe(false);
    expect(verifyIntuitSignature(body, undefined, TOKEN)).toBe(false);
    expect(verifyIntuitSignature(body, 'not base64 at all!', TOKEN)).toBe(false);
    expect(verifyIntuitSignature(body, signature.slice(0, 20), TOKEN)).toBe(false);
    expect(verifyIntuitSignature(body, signature, '')).toBe(false);
  });

  it('parses CloudEvents', () => {
    const parsed = parseIntuitWebhook(signWebhook(cloudEvents(changes), TOKEN).body);
    expect(parsed).toEqual([
      expect.objectContaining({
        realmId: '9130',
        entity: 'JournalEntry',
        entityId: '1043',
        operation: 'delete',
        occurredAt: '2026-11-30T18:05:00.123Z',
      }),
      expect.objectContaining({ realmId: '9130', entity: 'Account', entityId: '92', operation: 'update' }),
    ]);
    expect(parsed[0]!.eventId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('parses the legacy eventNotifications format to the same records', () => {
    const parsed = parseIntuitWebhook(JSON.stringify(legacyNotification(changes)));
    expect(
      parsed.map(({ realmId, entity, entityId, operation }) => ({ realmId, entity, entityId, operation })),
    ).toEqual([
      { realmId: '9130', entity: 'JournalEntry', entityId: '1043', operation: 'delete' },
      { realmId: '9130', entity: 'Account', entityId: '92', operation: 'update' },
    ]);
  });

  it('refuses bodies that are neither format', () => {
    expect(() => parseIntuitWebhook('not json')).toThrow(/not JSON/);
    expect(() => parseIntuitWebhook('{"hello":1}')).toThrow(/neither/);
    expect(() => parseIntuitWebhook('[{"type":"something.else"}]')).toThrow(/unrecognized/);
  });

  it('refuses a body of the right outline but the wrong shape inside with a clear error, never a TypeError', () => {
    const bodies = [
      '[null]',
      '[1, "x"]',
      '{"eventNotifications":[null]}',
      '{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":5}}]}',
      '{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":{"length":2}}}]}',
      '{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":[null]}}]}',
      '{"eventNotifications":[{"realmId":"1","dataChangeEvent":{"entities":[[1]]}}]}',
    ];
    for (const body of bodies) {
      let thrown: unknown;
      try {
        parseIntuitWebhook(body);
      } catch (e) {
        thrown = e;
      }
      if (thrown === undefined) continue; // an empty notification is a valid no-op
      expect((thrown as { code?: string }).code, body).toBe('invalid_input');
    }
  });
});
