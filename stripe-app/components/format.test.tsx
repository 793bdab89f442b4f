/**
 * Proves the App's one formatter: money with its currency and thousands separators, exact at any
 * size (no float on the way), with each currency's own decimals; dates, months and instants in the
 * Dashboard's style; grouped counts; exact percentages. And that no view or component formats
 * money, dates or numbers by itself: only this module calls the low-level formatters.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currency } from '../../shared/money.ts';
import { amount, calendarDate, calendarMonth, count, instant, money, percent } from './format.ts';

const USD = currency('usd');

describe('App formatter', () => {
  it('writes money with thousands separators and its currency, from minor units', () => {
    expect(money('123456789', USD)).toBe('1,234,567.89 USD');
    expect(money('5', USD)).toBe('0.05 USD');
    expect(money('-123456', USD)).toBe('-1,234.56 USD');
    expect(money('0', USD)).toBe('0.00 USD');
    expect(money('1200000', currency('jpy'))).toBe('1,200,000 JPY');
    expect(money('1234567', currency('kwd'))).toBe('1,234.567 KWD');
    expect(amount('99999', USD)).toBe('999.99');
  });

  it('is exact beyond what a float can hold', () => {
    // 2^53 + 1 cents and a 24-digit amount: a double would round both.
    expect(money('9007199254740993', USD)).toBe('90,071,992,547,409.93 USD');
    expect(money('123456789012345678901234', USD)).toBe('1,234,567,890,123,456,789,012.34 USD');
  });

  it('writes dates, months and instants the Dashboard way', () => {
    expect(calendarDate('2021-01-03')).toBe('Jan 3, 2021');
    expect(calendarMonth('2026-12')).toBe('Dec 2026');
    expect(instant('2021-01-03T14:05:59Z')).toBe('Jan 3, 2021, 14:05 UTC');
    expect(instant('2026-11-21T23:30:00-05:00')).toBe('Nov 22, 2026, 04:30 UTC');
    expect(instant(null)).toBe('Never');
  });

  it('groups counts and writes percentages exactly', () => {
    expect(count(1234567)).toBe('1,234,567');
    expect(count(12)).toBe('12');
    expect(percent('0.973156')).toBe('97.32 %');
    expect(percent(null)).toBe('–');
  });
});

/** Every production source file of the App, except this formatter. */
function appSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'testing' ? [] : appSources(path);
    return /\.tsx?$/.test(e.name) &&
      !/\.test\.tsx?$/.test(e.name) &&
      path !== join('stripe-app', 'components', 'format.ts')
      ? [path]
      : [];
  });
}

describe('one formatter for the whole App', () => {
  it('leaves money, number and date formatting to components/format.ts', () => {
    const offenders = appSources('stripe-app').flatMap((path) => {
      const text = readFileSync(path, 'utf8');
      return [/formatMinor/, /toLocaleString/, /Intl\./, /toFixed\(/, /toISOString\(/]
        .filter((pattern) => pattern.test(text))
        .map((pattern) => `${path}: ${pattern.source}`);
    });
    expect(offenders).toEqual([]);
  });
});
