/**
 * Intuit webhooks (`docs/quickbooks.md §8`): verification of `intuit-signature` (base64 HMAC-SHA256 of the
 * RAW body, keyed with the app's verifier token, compared in constant time) and parsing of both
 * payload formats, CloudEvents (current) and `eventNotifications` (legacy), into one shape.
 * The route must answer 200 within 3 s, so it verifies, enqueues, and returns; work happens later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AccrueError } from '../../shared/errors.ts';

/** Intuit sends at most about 1 MB per POST; anything larger is not from Intuit. */
export const WEBHOOK_BODY_BYTES_MAX = 1_048_576;
/** Intuit batches about 100 events per POST; allow generous slack but bound the work. */
export const WEBHOOK_EVENTS_MAX = 1000;

export type WebhookOperation = 'create' | 'update' | 'delete' | 'merge' | 'void' | 'emailed' | 'other';

export interface WebhookChange {
  realmId: string;
  /** Entity name as QuickBooks spells it in queries (`JournalEntry`, `Account`). */
  entity: string;
  entityId: string;
  operation: WebhookOperation;
  occurredAt?: string | undefined;
  /** CloudEvents id, for de-duplicating redeliveries. */
  eventId?: string | undefined;
  /** Merge events name the entity that disappeared. */
  deletedId?: string | undefined;
}

/** True when `signature` is Intuit's signature of exactly these bytes. */
export function verifyIntuitSignature(
  rawBody: Buffer | string,
  signature: string | undefined,
  verifierToken: string,
): boolean {
  if (!signature || !verifierToken) return false;
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const expected = createHmac('sha256', verifierToken).update(body).digest();
  let given: Buffer;
  try {
    given = Buffer.from(signature, 'base64');
  } catch {
    return false;
  }
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const ENTITY_CASE: Record<string, string> = {
  journalentry: 'JournalEntry',
  account: 'Account',
  customer: 'Customer',
  invoice: 'Invoice',
  payment: 'Payment',
  vendor: 'Vendor',
  preferences: 'Preferences',
};

function entityName(lower: string): string {
  return ENTITY_CASE[lower.toLowerCase()] ?? lower;
}

function operationOf(word: string): WebhookOperation {
  const w = word.toLowerCase();
  if (w === 'create' || w === 'created') return 'create';
  if (w === 'update' || w === 'updated') return 'update';
  if (w === 'delete' || w === 'deleted') return 'delete';
  if (w === 'merge' || w === 'merged') return 'merge';
  if (w === 'void' || w === 'voided') return 'void';
  if (w === 'emailed') return 'emailed';
  return 'other';
}

/* eslint-disable @typescript-eslint/no-explicit-any */
/** Parses a verified webhook body (CloudEvents array or legacy object) into changes. */
export function parseIntuitWebhook(rawBody: Buffer | string): WebhookChange[] {
  const text = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  if (Buffer.byteLength(text) > WEBHOOK_BODY_BYTES_MAX)
    throw new AccrueError('invalid_input', 'webhook body too large');
  let payload: any;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new AccrueError('invalid_input', 'webhook body is not JSON');
  }
  const out: WebhookChange[] = [];
  const push = (c: WebhookChange): void => {
    if (out.length >= WEBHOOK_EVENTS_MAX)
      throw new AccrueError('invalid_input', `more than ${WEBHOOK_EVENTS_MAX} webhook events`);
    out.push(c);
  };
  if (Array.isArray(payload)) {
    for (const ev of payload) {
      // type: qbo.<entity>.<operation>.v<n>
      const m = /^qbo\.([a-z0-9_]+)\.([a-z]+)\.v\d+$/i.exec(String(ev?.type ?? ''));
      if (!m || typeof ev.intuitaccountid !== 'string' || ev.intuitentityid === undefined) {
        throw new AccrueError('invalid_input', `unrecognized CloudEvent: ${String(ev?.type)}`);
      }
      push({
        realmId: ev.intuitaccountid,
        entity: entityName(m[1]!),
        entityId: String(ev.intuitentityid),
        operation: operationOf(m[2]!),
        occurredAt: typeof ev.time === 'string' ? ev.time : undefined,
        eventId: typeof ev.id === 'string' ? ev.id : undefined,
        deletedId: ev.data?.deletedId !== undefined ? String(ev.data.deletedId) : undefined,
      });
    }
    return out;
  }
  if (payload && Array.isArray(payload.eventNotifications)) {
    for (const n of payload.eventNotifications) {
      const realmId = String(n?.realmId ?? '');
      const entities: unknown = n?.dataChangeEvent?.entities ?? [];
      if (!Array.isArray(entities))
        throw new AccrueError('invalid_input', 'eventNotifications: dataChangeEvent.entities is not a list');
      for (const e of entities) {
        if (!e || typeof e !== 'object' || Array.isArray(e))
          throw new AccrueError('invalid_input', 'eventNotifications: an entity is not an object');
        push({
          realmId,
          entity: entityName(String(e.name ?? '')),
          entityId: String(e.id ?? ''),
          operation: operationOf(String(e.operation ?? '')),
          occurredAt: typeof e.lastUpdated === 'string' ? e.lastUpdated : undefined,
          deletedId: e.deletedId !== undefined ? String(e.deletedId) : undefined,
        });
      }
    }
    return out;
  }
  throw new AccrueError('invalid_input', 'webhook body is neither CloudEvents nor eventNotifications');
}
