/**
 * Reading an `accrue replay` input file as a stream: one JSON line at a time, never the whole file.
 * `scanReplayInput` checks every line and sums up what the replay needs before it starts (how many
 * events, which accounts, the first event, the last `created`), so bad input is refused before any
 * database work; `replayLines` then yields the lines again for loading and delivery.
 */
import { createReadStream } from 'node:fs';
import type Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';
import { checkAccountId } from '../ledger/tenants.ts';

export interface ReplayLine {
  /** 1-based line number in the file, for messages. */
  n: number;
  /** Position among the non-blank lines (0-based): the tiebreak for snapshots of the same second. */
  index: number;
  value: Record<string, unknown>;
  /** Length of the line in UTF-16 code units (about its size in bytes for JSON). */
  size: number;
}

export interface AccountRef {
  accountId: string;
  livemode: boolean;
}

export interface ReplayInputSummary {
  events: number;
  /** The account of the first event: its books are the ones reported. */
  first: AccountRef;
  /** Every account|livemode the events name, in order of first appearance. */
  accounts: Map<string, AccountRef>;
  /** The latest `created` of any event (seconds). */
  lastCreated: number;
}

export function accountKey(ref: AccountRef): string {
  return `${ref.accountId}|${ref.livemode}`;
}

/** Checks one line; returns its object, or undefined for a blank line. */
export function checkReplayLine(raw: string, n: number): Record<string, unknown> | undefined {
  if (!raw.trim()) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new AccrueError('invalid_input', `line ${n}: malformed JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new AccrueError('invalid_input', `line ${n}: expected a JSON object`);
  const o = v as Record<string, unknown>;
  if (typeof o.object !== 'string')
    throw new AccrueError('invalid_input', `line ${n}: missing "object" (every line is a Stripe event or API object)`);
  if (o.object === 'event') {
    const data = o.data as { object?: unknown } | undefined;
    if (typeof o.id !== 'string' || typeof o.type !== 'string')
      throw new AccrueError('invalid_input', `line ${n}: event without id or type`);
    if (!data || !data.object || typeof data.object !== 'object')
      throw new AccrueError('invalid_input', `line ${n}: event ${o.id} has no data.object`);
    if (typeof o.account !== 'string')
      throw new AccrueError(
        'invalid_input',
        `line ${n}: event ${o.id} has no "account" (Connect events name the account)`,
      );
    if (typeof o.created !== 'number')
      throw new AccrueError('invalid_input', `line ${n}: event ${o.id} has no numeric "created"`);
  } else if (typeof o.id !== 'string') {
    throw new AccrueError('invalid_input', `line ${n}: ${o.object} without an id`);
  }
  return o;
}

/**
 * The file's lines, pulled from the stream a chunk at a time: the next chunk is read only when
 * the consumer asks for more, so a slow consumer (delivery waiting on a commit) never makes the
 * reader buffer the rest of the file. (readline's async iterator buffers every line it has read.)
 */
async function* rawLines(stream: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of stream) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const part of parts) yield part.endsWith('\r') ? part.slice(0, -1) : part;
  }
  if (rest) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/** The checked lines of the file, in order, read as a stream. */
export async function* replayLines(path: string): AsyncGenerator<ReplayLine> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('ready', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (e) {
    throw new AccrueError('invalid_input', `cannot read ${path}: ${(e as Error).message}`);
  }
  let n = 0;
  let index = 0;
  try {
    for await (const raw of rawLines(stream)) {
      n++;
      const value = checkReplayLine(raw, n);
      if (value) yield { n, index: index++, value, size: raw.length };
    }
  } catch (e) {
    if (e instanceof AccrueError) throw e;
    throw new AccrueError('invalid_input', `cannot read ${path}: ${(e as Error).message}`);
  } finally {
    stream.destroy();
  }
}

/** Reads the whole file once, checking every line; holds nothing per line. */
export async function scanReplayInput(path: string): Promise<ReplayInputSummary> {
  let events = 0;
  let first: AccountRef | undefined;
  const accounts = new Map<string, AccountRef>();
  let lastCreated = -Infinity;
  for await (const { n, value } of replayLines(path)) {
    if (value.object !== 'event') continue;
    const ev = value as unknown as Stripe.Event;
    const ref = { accountId: ev.account!, livemode: Boolean(ev.livemode) };
    try {
      checkAccountId(ref.accountId);
    } catch (e) {
      throw new AccrueError('invalid_input', `line ${n}: event ${ev.id}: ${(e as Error).message}`);
    }
    first ??= ref;
    if (!accounts.has(accountKey(ref))) accounts.set(accountKey(ref), ref);
    if (ev.created > lastCreated) lastCreated = ev.created;
    events++;
  }
  if (!first) throw new AccrueError('invalid_input', 'the input holds no events');
  return { events, first, accounts, lastCreated };
}
