/**
 * Proves how long work shows progress: piped, a plain line at most every few seconds (by a fake
 * clock, no real waiting) and a last line when the work ends; on a terminal, a bar that redraws
 * in place and ends with a newline; work without a known total ticks the same way.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, createTicker, PROGRESS_LINE_INTERVAL_MS } from '../../backend/cli/progress.ts';

function capture(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const w = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
  w.isTTY = isTTY;
  w.columns = 120;
  if (isTTY) {
    // What readline's cursor helpers call on a terminal stream.
    Object.assign(w, { cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  }
  return { stream: w, text: () => text };
}

describe('progress', () => {
  it('writes a plain line every few seconds when piped, and the last state at the end', () => {
    const { stream, text } = capture(false);
    let now = 1_000_000;
    const p = createProgress('demo', stream, () => now);
    for (let done = 0; done <= 95; done++) {
      p.update(done, 100, `step ${done}`);
      now += PROGRESS_LINE_INTERVAL_MS / 10; // ten updates per interval
    }
    p.stop();
    p.update(100, 100, 'ignored after stop');
    const lines = text().trimEnd().split('\n');
    // One line per interval (the first update writes at once), plus the final state.
    expect(lines.length).toBe(10 + 1);
    expect(lines[0]).toBe('demo: 0% (0/100) step 0');
    expect(lines[1]).toBe('demo: 10% (10/100) step 10');
    expect(lines.at(-2)).toBe('demo: 90% (90/100) step 90');
    expect(lines.at(-1)).toBe('demo: 95% (95/100) step 95');
    expect(text()).not.toContain('\r');
  });

  it('does not repeat the last line when the final state was already written', () => {
    const { stream, text } = capture(false);
    const p = createProgress('replay', stream, () => 0);
    p.update(3, 3, 'done');
    p.stop();
    expect(text()).toBe('replay: 100% (3/3) done\n');
  });

  it('draws a bar that redraws in place on a terminal', () => {
    const { stream, text } = capture(true);
    const p = createProgress('demo', stream);
    p.update(0, 4, 'starting');
    p.update(2, 4, 'half way');
    p.update(4, 4, 'finished');
    p.stop();
    expect(text()).toMatch(/demo \[[^\]]*\] 100% \| 4\/4 \| finished/);
    expect(text().endsWith('\n')).toBe(true);
  });

  it('ticks without a total: plain lines every few seconds when piped, the last one at the end', () => {
    const { stream, text } = capture(false);
    let now = 0;
    const t = createTicker('backfill', stream, () => now);
    for (let i = 1; i <= 25; i++) {
      t.update(`invoices ${i * 100}`);
      now += PROGRESS_LINE_INTERVAL_MS / 4;
    }
    t.stop();
    expect(text().trimEnd().split('\n')).toEqual([
      'backfill: invoices 100',
      'backfill: invoices 500',
      'backfill: invoices 900',
      'backfill: invoices 1300',
      'backfill: invoices 1700',
      'backfill: invoices 2100',
      'backfill: invoices 2500',
    ]);
  });
});
