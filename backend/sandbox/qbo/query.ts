/**
 * The fake QuickBooks query language (docs/quickbooks.md §4 Accounts and queries):
 * `SELECT * | count(*) FROM Entity [WHERE p op v [AND …]] [ORDERBY p [ASC|DESC]] [STARTPOSITION n]
 * [MAXRESULTS n]`, with the
 * operators `= < > <= >= IN LIKE`, single-quoted strings with `\'` escapes, case-insensitive
 * keywords and entity names, and `OR` refused the way QuickBooks refuses it (code 4000).
 */

/** QuickBooks caps a page at 1000 rows and defaults to 100. */
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

/** A cursor over the tokens of one query, with the expectations QuickBooks' parser enforces. */
class Tokens {
  #p = 0;

  constructor(private readonly toks: Token[]) {}

  peek(): Token | undefined {
    return this.toks[this.#p];
  }

  take(): Token | undefined {
    return this.toks[this.#p++];
  }

  skip(): void {
    this.#p++;
  }

  isKw(kw: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t === 'word' && t.v.toLowerCase() === kw;
  }

  isSym(s: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t === 'sym' && t.v === s;
  }

  expectKw(kw: string): void {
    if (!this.isKw(kw)) throw new QueryError('4000', `QueryParserError: expected ${kw.toUpperCase()}`);
    this.#p++;
  }

  expectSym(s: string): void {
    if (!this.isSym(s)) throw new QueryError('4000', `QueryParserError: expected "${s}"`);
    this.#p++;
  }

  /** A property name (`Name`, `MetaData.LastUpdatedTime`). */
  word(what: string): string {
    const t = this.take();
    if (!t || t.t !== 'word') throw new QueryError('4000', `QueryParserError: ${what} expected`);
    return t.v;
  }

  value(): QueryValue {
    const t = this.take();
    if (!t) throw new QueryError('4000', 'QueryParserError: value expected');
    if (t.t === 'str' || t.t === 'num') return t.v;
    if (t.t === 'word' && (t.v.toLowerCase() === 'true' || t.v.toLowerCase() === 'false'))
      return t.v.toLowerCase() === 'true';
    throw new QueryError('4000', `QueryParserError: unexpected ${t.v}`);
  }

  /** Refuses anything left over. */
  end(): void {
    const t = this.peek();
    if (t) throw new QueryError('4000', `QueryParserError: Encountered "${t.v}"`);
  }
}

/** `SELECT *` or `SELECT count(*)`; true for a count. */
function parseSelect(tokens: Tokens): boolean {
  tokens.expectKw('select');
  if (tokens.isSym('*')) {
    tokens.skip();
    return false;
  }
  if (tokens.isKw('count')) {
    tokens.skip();
    tokens.expectSym('(');
    tokens.expectSym('*');
    tokens.expectSym(')');
    return true;
  }
  // Projections are not supported by QuickBooks' query language.
  throw new QueryError('4000', 'QueryParserError: only select * and count(*) are supported');
}

function parseCondition(tokens: Tokens): Condition {
  const field = tokens.word('property');
  const opTok = tokens.take();
  let op: Condition['op'];
  if (opTok?.t === 'sym' && ['=', '<', '>', '<=', '>='].includes(opTok.v)) op = opTok.v as Condition['op'];
  else if (opTok?.t === 'word' && opTok.v.toLowerCase() === 'in') op = 'IN';
  else if (opTok?.t === 'word' && opTok.v.toLowerCase() === 'like') op = 'LIKE';
  else throw new QueryError('4000', `QueryParserError: unsupported operator ${opTok?.v ?? ''}`);
  if (op !== 'IN') return { field, op, value: tokens.value() };
  tokens.expectSym('(');
  const values: QueryValue[] = [tokens.value()];
  while (tokens.isSym(',')) {
    tokens.skip();
    values.push(tokens.value());
  }
  tokens.expectSym(')');
  return { field, op, value: values };
}

/** `WHERE c [AND c …]`; `OR` is refused the way QuickBooks refuses it. */
function parseWhere(tokens: Tokens): Condition[] {
  const where: Condition[] = [];
  if (!tokens.isKw('where')) return where;
  tokens.skip();
  for (;;) {
    where.push(parseCondition(tokens));
    if (tokens.isKw('and')) {
      tokens.skip();
      continue;
    }
    if (tokens.isKw('or')) throw new QueryError('4000', 'QueryParserError: OR is not supported');
    return where;
  }
}

/** `ORDERBY p [ASC|DESC]` (or `ORDER BY`). */
function parseOrderBy(tokens: Tokens): ParsedQuery['orderBy'] {
  if (!tokens.isKw('orderby') && !tokens.isKw('order')) return undefined;
  if (tokens.isKw('order')) {
    tokens.skip();
    tokens.expectKw('by');
  } else tokens.skip();
  const field = tokens.word('orderby property');
  let desc = false;
  if (tokens.isKw('asc')) tokens.skip();
  else if (tokens.isKw('desc')) {
    tokens.skip();
    desc = true;
  }
  return { field, desc };
}

/** `STARTPOSITION n` and `MAXRESULTS n`, in either order; MAXRESULTS is capped at 1000. */
function parsePaging(tokens: Tokens): { startPosition: number; maxResults: number } {
  let startPosition = 1;
  let maxResults = QUERY_DEFAULT_RESULTS;
  for (;;) {
    if (tokens.isKw('startposition')) {
      tokens.skip();
      const v = tokens.value();
      if (typeof v !== 'number' || v < 1) throw new QueryError('4001', 'STARTPOSITION must be a positive number');
      startPosition = v;
    } else if (tokens.isKw('maxresults')) {
      tokens.skip();
      const v = tokens.value();
      if (typeof v !== 'number' || v < 1) throw new QueryError('4001', 'MAXRESULTS must be a positive number');
      maxResults = Math.min(v, QUERY_MAX_RESULTS);
    } else return { startPosition, maxResults };
  }
}

/** Parses one query; throws `QueryError` with QuickBooks' code on anything it would refuse. */
export function parseQuery(text: string): ParsedQuery {
  const tokens = new Tokens(tokenize(text));
  const count = parseSelect(tokens);
  tokens.expectKw('from');
  const entity = tokens.word('entity');
  const where = parseWhere(tokens);
  const orderBy = parseOrderBy(tokens);
  const { startPosition, maxResults } = parsePaging(tokens);
  tokens.end();
  return { count, entity, where, orderBy, startPosition, maxResults };
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
  if (cur !== null && typeof cur === 'object' && 'value' in (cur as Record<string, unknown>))
    return (cur as Record<string, unknown>)['value'];
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
