/**
 * A worker process for the kill test: runs the real job handlers against DATABASE_URL with a
 * Stripe reader slowed down per call, so the parent can SIGKILL it in the middle of a batch.
 */
import { openContext } from '../../backend/app/context.ts';
import { loadConfig } from '../../backend/config/config.ts';
import { createStripeClient } from '../../backend/stripe/client.ts';
import { createStripeReader, type StripeReader } from '../../backend/stripe/reader.ts';
import { createLogger } from '../../backend/log/logger.ts';

const DELAY_MS = Number(process.env.READER_DELAY_MS ?? '40');
const config = loadConfig();
const stripe = createStripeClient({ secretKey: config.STRIPE_SECRET_KEY!, apiBase: config.STRIPE_API_BASE });
function slow(r: StripeReader): StripeReader {
  return new Proxy(r, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        await new Promise((res) => setTimeout(res, DELAY_MS));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
await openContext({
  config,
  log: createLogger('warn'),
  workers: true,
  eventsPerTransaction: Number(process.env.EVENTS_PER_TRANSACTION ?? '4'),
  readerFor: (t) => slow(createStripeReader(stripe, t.accountId)),
});
process.stdout.write('ready\n');
setInterval(() => undefined, 1 << 30);
