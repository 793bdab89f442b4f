/**
 * Webhooks: what Intuit would POST to us when an accountant changes the books
 * (docs/quickbooks.md §8 Edits by accountants: webhooks and CDC). The builders make CloudEvents
 * or legacy `eventNotifications` payloads and sign them; the outbox queues the fake's accountant
 * changes and delivers them in one signed POST when a test flushes it.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { FakeClock, Json, WebhookTarget } from './types.ts';

export interface WebhookChange {
  realmId: string;
  entity: string;
  id: string;
  operation: 'created' | 'updated' | 'deleted' | 'merged' | 'voided';
  time?: string;
}

/** Builds a CloudEvents array as Intuit sends it. */
export function cloudEvents(changes: WebhookChange[]): Json[] {
  return changes.map((c) => ({
    specversion: '1.0',
    id: randomUUID(),
    source: 'intuit.accounting',
    type: `qbo.${c.entity.toLowerCase()}.${c.operation}.v1`,
    datacontenttype: 'application/json',
    time: c.time ?? new Date().toISOString(),
    intuitentityid: c.id,
    intuitaccountid: c.realmId,
    data: {},
  }));
}

/** Builds the legacy `eventNotifications` payload. */
export function legacyNotification(changes: WebhookChange[]): Json {
  const byRealm = new Map<string, WebhookChange[]>();
  for (const c of changes) byRealm.set(c.realmId, [...(byRealm.get(c.realmId) ?? []), c]);
  const opName: Record<string, string> = {
    created: 'Create',
    updated: 'Update',
    deleted: 'Delete',
    merged: 'Merge',
    voided: 'Void',
  };
  return {
    eventNotifications: [...byRealm].map(([realmId, cs]) => ({
      realmId,
      dataChangeEvent: {
        entities: cs.map((c) => ({
          name: c.entity,
          id: c.id,
          operation: opName[c.operation],
          lastUpdated: c.time ?? new Date().toISOString(),
        })),
      },
    })),
  };
}

/** Serializes a payload and signs the exact bytes: `intuit-signature` = base64 HMAC-SHA256(verifier token). */
export function signWebhook(
  payload: Json,
  verifierToken: string,
): { body: string; signature: string; headers: Record<string, string> } {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = createHmac('sha256', verifierToken).update(body, 'utf8').digest('base64');
  return { body, signature, headers: { 'content-type': 'application/json', 'intuit-signature': signature } };
}

/** Owns the queue of change events and where they are delivered. */
export class WebhookOutbox {
  #target: WebhookTarget | undefined;
  #queue: WebhookChange[] = [];

  constructor(private readonly clock: FakeClock) {}

  setTarget(target: WebhookTarget | undefined): void {
    this.#target = target;
  }

  queue(change: Omit<WebhookChange, 'time'>): void {
    this.#queue.push({ ...change, time: new Date(this.clock.now_ms()).toISOString() });
  }

  pending(): WebhookChange[] {
    return [...this.#queue];
  }

  /** POSTs everything queued as one signed payload; returns the HTTP statuses (none when nothing to send). */
  async flush(): Promise<number[]> {
    const target = this.#target;
    if (!target || this.#queue.length === 0) return [];
    const events = this.#queue;
    this.#queue = [];
    const payload = target.format === 'legacy' ? legacyNotification(events) : cloudEvents(events);
    const signed = signWebhook(payload, target.verifierToken);
    const res = await fetch(target.url, { method: 'POST', headers: signed.headers, body: signed.body });
    return [res.status];
  }
}
