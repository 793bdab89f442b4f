/**
 * The fake QuickBooks query language (qbo.md §4.2, §11.7): `SELECT * | count(*) FROM Entity
 * [WHERE p op v [AND …]] [ORDERBY p [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS n]`, with the
 * operators `= < > <= >= IN LIKE`, single-quoted strings with `\'` escapes, case-insensitive
 * keywords and entity names, and `OR` refused the way QuickBooks refuses it (code 4000).
 */

/** QuickBooks caps a page at 1000 rows and defaults to 100 (qbo.md §4.2). */
export const QUERY_MAX_RESULTS = 1000;
export const QUERY_DEFAULT_RESULTS = 100;

export type QueryValue = string | number | boolean;

export interface Condition {
  field: string;
  op: '=' | '<' | '>' | '<=' | '>=' | 'IN' | 'LIKE';
  value: QueryValue | QueryValue[];
}

export interface ParsedQuery {
  count: boolean;
  entity: string;
  where: Condition[];
  orderBy?: { field: string; desc: boolean } | undefined;
  startPosition: number;
  maxResults: number;
}

export class QueryError extends Error {
  constructor(
    readonly code: '4000' | '4001',
    message: string,
  ) {
    super(message);
  }
}

type Token = { t: 'word'; v: string } | { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'sym'; v: string };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new QueryError('4000', 'QueryParserError: unterminated string');
        const d = text[i]!;
        if (d === '\\' && i + 1 < text.length) {
          s += text[i + 1];
          i += 2;
        } else if (d === "'") {
          i++;
          break;
        } else {
          s += d;
          i++;
        }
      }
      out.push({ t: 'str', v: s });
    } else if ('(),*'.includes(c)) {
      out.push({ t: 'sym', v: c });
      i++;
    } else if ('<>='.includes(c)) {
      const two = text.slice(i, i + 2);
      if (two === '<=' || two === '>=' || two === '<>') {
        out.push({ t: 'sym', v: two });
        i += 2;
      } else {
        out.push({ t: 'sym', v: c });
        i++;
      }
    } else if (/[-0-9]/.test(c) && /^-?\d/.test(text.slice(i))) {
      const m = /^-?\d+(\.\d+)?/.exec(text.slice(i))!;
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i))!;
      out.push({ t: 'word', v: m[0] });
      i += m[0].length;
    } else {
      throw new QueryError('4000', `QueryParserError: Encountered "${c}"`);
    }
  }
  return out;
}

/** Parses one query; throws `QueryError` with QuickBooks' code on anything it would refuse. */
export function parseQuery(text: string): ParsedQuery {
  const toks = tokenize(text);
  let p = 0;
  const peek = (): Token | undefined => toks[p];
  const isKw = (kw: string): boolean => {
    const t = peek();
    return t !== undefined && t.t === 'word' && t.v.toLowerCase() === kw;
  };
  const expectKw = (kw: string): void => {
    if (!isKw(kw)) throw new QueryError('4000', `QueryParserError: expected ${kw.toUpperCase()}`);
    p++;
  };
  const expectSym = (s: string): void => {
    const t = peek();
    if (!t || t.t !== 'sym' || t.v !== s) throw new QueryError('4000', `QueryParserError: expected "${s}"`);
    p++;
  };
  const value = (): QueryValue => {
    const t = toks[p++];
    if (!t) throw new QueryError('4000', 'QueryParserError: value expected');
    if (t.t === 'str' || t.t === 'num') return t.v;
    if (t.t === 'word' && (t.v.toLowerCase() === 'true' || t.v.toLowerCase() === 'false')) return t.v.toLowerCase() === 'true';
    throw new QueryError('4000', `QueryParserError: unexpected ${t.v}`);
  };

  expectKw('select');
  let count = false;
  const t0 = peek();
  if (t0?.t === 'sym' && t0.v === '*') {
    p++;
  } else if (isKw('count')) {
    p++;
    expectSym('(');
    expectSym('*');
    expectSym(')');
    count = true;
  } else {
    // Projections are not supported by QuickBooks' query language.
    throw new QueryError('4000', 'QueryParserError: only select * and count(*) are supported');
  }
  expectKw('from');
  const ent = toks[p++];
  if (!ent || ent.t !== 'word') throw new QueryError('4000', 'QueryParserError: entity expected');
  const where: Condition[] = [];
  if (isKw('where')) {
    p++;
    for (;;) {
      const f = toks[p++];
      if (!f || f.t !== 'word') throw new QueryError('4000', 'QueryParserError: property expected');
      const opTok = toks[p++];
      let op: Condition['op'];
      if (opTok?.t === 'sym' && ['=', '<', '>', '<=', '>='].includes(opTok.v)) op = opTok.v as Condition['op'];
      else if (opTok?.t === 'word' && opTok.v.toLowerCase() === 'in') op = 'IN';
      else if (opTok?.t === 'word' && opTok.v.toLowerCase() === 'like') op = 'LIKE';
      else throw new QueryError('4000', `QueryParserError: unsupported operator ${opTok?.v ?? ''}`);
      if (op === 'IN') {
        expectSym('(');
        const vals: QueryValue[] = [value()];
        while (peek()?.t === 'sym' && peek()!.v === ',') {
          p++;
          vals.push(value());
        }
        expectSym(')');
        where.push({ field: f.v, op, value: vals });
      } else {
        where.push({ field: f.v, op, value: value() });
      }
      if (isKw('and')) {
        p++;
        continue;
      }
      if (isKw('or')) throw new QueryError('4000', 'QueryParserError: OR is not supported');
      break;
    }
  }
  let orderBy: ParsedQuery['orderBy'];
  if (isKw('orderby') || isKw('order')) {
    if (isKw('order')) {
      p++;
      expectKw('by');
    } else p++;
    const f = toks[p++];
    if (!f || f.t !== 'word') throw new QueryError('4000', 'QueryParserError: orderby property expected');
    let desc = false;
    if (isKw('asc')) p++;
    else if (isKw('desc')) {
      p++;
      desc = true;
    }
    orderBy = { field: f.v, desc };
  }
  let startPosition = 1;
  let maxResults = QUERY_DEFAULT_RESULTS;
  for (;;) {
    if (isKw('startposition')) {
      p++;
      const v = value();
      if (typeof v !== 'number' || v < 1) throw new QueryError('4001', 'STARTPOSITION must be a positive number');
      startPosition = v;
    } else if (isKw('maxresults')) {
      p++;
      const v = value();
      if (typeof v !== 'number' || v < 1) throw new QueryError('4001', 'MAXRESULTS must be a positive number');
      maxResults = Math.min(v, QUERY_MAX_RESULTS);
    } else break;
  }
  if (p < toks.length) throw new QueryError('4000', `QueryParserError: Encountered "${toks[p]!.v}"`);
  return { count, entity: ent.v, where, orderBy, startPosition, maxResults };
}

/** Reads a dotted property path case-insensitively (`MetaData.LastUpdatedTime`, `metadata.lastupdatedtime`). */
export function readPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const rec = cur as Record<string, unknown>;
    const key = Object.keys(rec).find((k) => k.toLowerCase() === seg.toLowerCase());
    if (key === undefined) return undefined;
    cur = rec[key];
  }
  // References compare by their value: `AccountRef = '12'`.
  if (cur !== null && typeof cur === 'object' && 'value' in (cur as Record<string, unknown>)) return (cur as Record<string, unknown>)['value'];
  return cur;
}

function compare(a: unknown, b: QueryValue): number {
  if (typeof b === 'number' || (typeof a === 'number' && !Number.isNaN(Number(b)))) {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof b === 'boolean') return String(a) === String(b) ? 0 : 1;
  const x = String(a);
  const y = String(b);
  // Timestamps with offsets compare as instants.
  if (/^\d{4}-\d\d-\d\dT/.test(x) && /^\d{4}-\d\d-\d\dT/.test(y)) {
    const dx = Date.parse(x);
    const dy = Date.parse(y);
    if (!Number.isNaN(dx) && !Number.isNaN(dy)) return dx < dy ? -1 : dx > dy ? 1 : 0;
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

/** True when an entity satisfies one condition. */
export function matches(obj: unknown, cond: Condition): boolean {
  const actual = readPath(obj, cond.field);
  if (actual === undefined) return false;
  switch (cond.op) {
    case '=':
      return compare(actual, cond.value as QueryValue) === 0;
    case '<':
      return compare(actual, cond.value as QueryValue) < 0;
    case '>':
      return compare(actual, cond.value as QueryValue) > 0;
    case '<=':
      return compare(actual, cond.value as QueryValue) <= 0;
    case '>=':
      return compare(actual, cond.value as QueryValue) >= 0;
    case 'IN':
      return (cond.value as QueryValue[]).some((v) => compare(actual, v) === 0);
    case 'LIKE': {
      const pattern = String(cond.value)
        .split('%')
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
      return new RegExp(`^${pattern}$`, 'i').test(String(actual));
    }
  }
}

/** Applies a parsed query to rows; returns the page and the total matched. */
export function runQuery<T>(rows: readonly T[], q: ParsedQuery): { page: T[]; total: number } {
  let out = rows.filter((r) => q.where.every((c) => matches(r, c)));
  if (q.orderBy) {
    const { field, desc } = q.orderBy;
    out = [...out].sort((a, b) => {
      const va = readPath(a, field);
      const vb = readPath(b, field);
      const c = compare(va, (vb ?? '') as QueryValue);
      return desc ? -c : c;
    });
  }
  return { page: out.slice(q.startPosition - 1, q.startPosition - 1 + q.maxResults), total: out.length };
}
