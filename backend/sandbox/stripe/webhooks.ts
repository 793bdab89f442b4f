/**
 * Delivering Stripe events to a webhook endpoint the way Stripe does: the JSON body signed with
 * the endpoint secret in a `Stripe-Signature` header (`t=…,v1=…`), non-2xx answers retried.
 * For the demo and for integration tests; it can also deliver out of order and with duplicates
 * (seeded), since Stripe promises neither order nor exactly-once delivery.
 */
import Stripe from 'stripe';
import type { StripeObject } from '../../stripe/reader.ts';
import { seededRandom } from './business/random.ts';

/** Attempts per event before it is reported failed; Stripe retries for days, a test has seconds. */
const DELIVERY_ATTEMPTS_MAX = 3;
/** Per-request timeout: Stripe's is undisclosed but short; endpoints must acknowledge quickly. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** Parallel deliveries at most; more would measure the test machine rather than the app. */
const DELIVERY_CONCURRENCY_MAX = 64;

export interface DeliveryResult {
  eventId: string;
  type: string;
  status: number | null;
  attempts: number;
  error?: string;
}

export interface DeliveryOptions {
  url: string;
  /** The endpoint's signing secret (`whsec_…`). */
  secret: string;
  /** `in_order` (default) as given; `shuffled` permutes with `seed`. */
  order?: 'in_order' | 'shuffled';
  seed?: number;
  /** Per-mille of events delivered a second time (at a random later position). */
  duplicatePerMille?: number;
  /** Deliveries in flight at once; 1 (default) keeps the chosen order exact. */
  concurrency?: number;
  maxAttempts?: number;
  /** Signing time in Unix seconds; defaults to now so the receiver's tolerance check passes. */
  now?: () => number;
}

/** The body and headers of one signed delivery. */
export function signedDelivery(
  event: StripeObject,
  secret: string,
  timestamp: number,
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });
  return {
    body,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Stripe-Signature': signature,
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    },
  };
}

/** The delivery sequence: the events in the requested order, with seeded duplicates. */
export function deliveryPlan(
  events: readonly StripeObject[],
  opts: Pick<DeliveryOptions, 'order' | 'seed' | 'duplicatePerMille'> = {},
): StripeObject[] {
  const rng = seededRandom(opts.seed ?? 1);
  const plan = [...events];
  if (opts.order === 'shuffled') {
    for (let i = plan.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [plan[i], plan[j]] = [plan[j]!, plan[i]!];
    }
  }
  const duplicates = opts.duplicatePerMille ?? 0;
  if (duplicates > 0) {
    for (let i = plan.length - 1; i >= 0; i--) {
      if (rng.chance(duplicates)) plan.splice(rng.int(i + 1, plan.length), 0, plan[i]!);
    }
  }
  return plan;
}

/**
 * Delivers events to `opts.url`, signed like Stripe, retrying non-2xx answers and network errors
 * up to `maxAttempts`. Returns one result per delivery in the order they were planned.
 */
export async function deliverEvents(events: readonly StripeObject[], opts: DeliveryOptions): Promise<DeliveryResult[]> {
  const plan = deliveryPlan(events, opts);
  const attemptsMax = Math.max(1, opts.maxAttempts ?? DELIVERY_ATTEMPTS_MAX);
  const concurrency = Math.min(DELIVERY_CONCURRENCY_MAX, Math.max(1, opts.concurrency ?? 1));
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const results: DeliveryResult[] = new Array(plan.length);

  async function deliverOne(event: StripeObject): Promise<DeliveryResult> {
    let last: DeliveryResult = { eventId: event.id, type: String(event.type), status: null, attempts: 0 };
    for (let attempt = 1; attempt <= attemptsMax; attempt++) {
      const { body, headers } = signedDelivery(event, opts.secret, now());
      try {
        const res = await fetch(opts.url, {
          method: 'POST',
          body,
          headers,
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
          redirect: 'manual',
        });
        await res.arrayBuffer();
        // Stripe counts only 2xx as delivered; a redirect is a failure too.
        last = { ...last, status: res.status, attempts: attempt };
        if (res.status >= 200 && res.status < 300) return last;
      } catch (err) {
        last = { ...last, status: null, attempts: attempt, error: (err as Error).message };
      }
    }
    return last;
  }

  let next = 0;
  async function worker(): Promise<void> {
    while (next < plan.length) {
      const index = next++;
      results[index] = await deliverOne(plan[index]!);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, plan.length) }, () => worker()));
  return results;
}
