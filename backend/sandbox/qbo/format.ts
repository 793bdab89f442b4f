/** How QuickBooks writes times and amounts, and the fake's small value helpers. */

/** The fake's company time zone offset, used in MetaData and `time` fields (PST, no DST). */
const COMPANY_OFFSET_MIN = -8 * 60;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** ISO time in the company's offset, as QuickBooks writes it (`2026-11-30T10:02:11.512-08:00`). */
export function companyTime(ms: number, withMillis: boolean): string {
  const d = new Date(ms + COMPANY_OFFSET_MIN * 60_000);
  const sign = COMPANY_OFFSET_MIN < 0 ? '-' : '+';
  const off = Math.abs(COMPANY_OFFSET_MIN);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const base = `${date}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const millis = withMillis ? '.' + pad(d.getUTCMilliseconds(), 3) : '';
  return `${base}${millis}${sign}${pad(Math.floor(off / 60))}:${pad(off % 60)}`;
}

/** The company's calendar date (`YYYY-MM-DD`) at an instant. */
export function companyDate(ms: number): string {
  return companyTime(ms, false).slice(0, 10);
}

/** Parses a decimal JSON amount into integer units at `exponent` decimals, refusing finer input. */
export function toUnits(amount: unknown, exponent: number): bigint | undefined {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return undefined;
  const text = String(amount);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  const frac = m[3] ?? '';
  if (frac.length > exponent) return undefined;
  const v = BigInt(m[2]! + frac.padEnd(exponent, '0'));
  return m[1] === '-' ? -v : v;
}

/** Integer units back to a decimal string with `exponent` decimals. */
export function formatUnits(units: bigint, exponent: number): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  if (exponent === 0) return `${neg ? '-' : ''}${abs}`;
  const s = abs.toString().padStart(exponent + 1, '0');
  return `${neg ? '-' : ''}${s.slice(0, -exponent)}.${s.slice(-exponent)}`;
}

/** Decimal places QuickBooks keeps for a currency's amounts. */
export function exponentOf(currency: string): number {
  const c = currency.toUpperCase();
  if (['JPY', 'KRW', 'CLP', 'VND', 'ISK', 'HUF_NOT'].includes(c)) return 0;
  if (['BHD', 'KWD', 'JOD', 'OMR', 'TND', 'IQD', 'LYD'].includes(c)) return 3;
  return 2;
}

/** A deep copy through JSON, so stored objects never share structure with what callers hold. */
export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
