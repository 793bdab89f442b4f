/**
 * Progress of long work (the demo, a replay, a backfill) on stderr, so stdout stays the result.
 * On a terminal: one bar that redraws in place (`cli-progress`, a well-kept library that handles
 * cursor, width and throttling). Piped or redirected: a plain line at most every few seconds, and
 * one when the work ends, so a log shows the work is alive without thousands of lines.
 */
import cliProgress from 'cli-progress';

/** How often a plain progress line is written when stderr is not a terminal. */
export const PROGRESS_LINE_INTERVAL_MS = 5_000;

export interface Progress {
  /** `done` of `total` units, with what is being done now. */
  update(done: number, total: number, detail?: string): void;
  /** Ends the bar (or writes the last plain line); later updates are ignored. */
  stop(): void;
  /** Clears a terminal bar's line so that other output starts clean (the next update redraws it). */
  clear(): void;
}

/** Progress on `stream` (stderr by default); `now` is for tests. */
export function createProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = Date.now,
): Progress {
  return stream.isTTY ? terminalBar(label, stream) : plainLines(label, stream, now);
}

function terminalBar(label: string, stream: NodeJS.WriteStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {detail}`,
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let stopped = false;
  return {
    update(done, total, detail = '') {
      if (stopped) return;
      if (!started) {
        bar.start(total, done, { detail });
        started = true;
        return;
      }
      if (bar.getTotal() !== total) bar.setTotal(total);
      bar.update(done, { detail });
    },
    stop() {
      if (started && !stopped) bar.stop();
      stopped = true;
    },
    clear() {
      if (started && !stopped) stream.write('\r\x1b[2K');
    },
  };
}

function plainLines(label: string, stream: NodeJS.WritableStream, now: () => number): Progress {
  let lastAt = -Infinity;
  let last: { done: number; total: number; detail: string } | null = null;
  let written: string | null = null;
  let stopped = false;
  const line = (p: { done: number; total: number; detail: string }) => {
    const pct = p.total ? Math.floor((p.done / p.total) * 100) : 100;
    return `${label}: ${pct}% (${p.done}/${p.total})${p.detail ? ` ${p.detail}` : ''}`;
  };
  const write = (text: string) => {
    stream.write(`${text}\n`);
    written = text;
    lastAt = now();
  };
  return {
    update(done, total, detail = '') {
      if (stopped) return;
      last = { done, total, detail };
      if (now() - lastAt >= PROGRESS_LINE_INTERVAL_MS) write(line(last));
    },
    stop() {
      if (!stopped && last && line(last) !== written) write(line(last));
      stopped = true;
    },
    clear() {},
  };
}

/**
 * Progress without a known total (a backfill lists until Stripe has no more pages): one line
 * redrawn in place on a terminal; piped, a plain line at most every few seconds and the last one.
 */
export function createTicker(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = Date.now,
): { update(detail: string): void; stop(): void } {
  let lastAt = -Infinity;
  let last = '';
  let written = '';
  let stopped = false;
  return {
    update(detail) {
      if (stopped) return;
      last = `${label}: ${detail}`;
      if (stream.isTTY) stream.write(`\r${last}   `);
      else if (now() - lastAt >= PROGRESS_LINE_INTERVAL_MS) {
        stream.write(`${last}\n`);
        written = last;
        lastAt = now();
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (stream.isTTY && last) stream.write('\n');
      else if (last && last !== written) stream.write(`${last}\n`);
    },
  };
}
