/**
 * Cursor pagination for every Admin API list: `limit` (at most `PAGE_SIZE_MAX`) and `after`, an
 * opaque cursor naming the last row of the previous page. Lists are ordered by a unique key, so
 * rows never repeat or go missing between pages while new rows arrive.
 */
import { z } from 'zod';
import { AccrueError } from '../../shared/errors.ts';

/** Largest page: big enough for a support screen, small enough to keep each query cheap. */
export const PAGE_SIZE_MAX = 100;
/** Page size when none is asked for. */
export const PAGE_SIZE_DEFAULT = 25;
/** Longest cursor accepted: ours are a few dozen characters; anything longer is not ours. */
const CURSOR_MAX_CHARS = 200;

/** The paging fields every list route's query accepts. */
export const pageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(PAGE_SIZE_MAX)
    .default(PAGE_SIZE_DEFAULT)
    .describe(`Rows per page (1–${PAGE_SIZE_MAX}).`),
  after: z.string().min(1).max(CURSOR_MAX_CHARS).optional().describe('The `next` cursor of the previous page.'),
};

/** A page of rows and the cursor of the next page (null on the last page). */
export interface Page<T> {
  data: T[];
  next: string | null;
}

/** The response shape of a list of `item`. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    next: z.string().nullable().describe('Pass as `after` to get the next page; null on the last page.'),
  });
}

/** Encodes the ordering key of a row as an opaque cursor. */
export function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeCursor` with `n` parts; anything else is invalid input. */
export function decodeCursor(cursor: string, n: number): string[] {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AccrueError('invalid_input', 'after: not a cursor from this API');
  }
  if (!Array.isArray(parts) || parts.length !== n || !parts.every((p) => typeof p === 'string')) {
    throw new AccrueError('invalid_input', 'after: not a cursor from this API');
  }
  return parts as string[];
}

/** A decoded single-part cursor that must be an integer id. */
export function decodeIdCursor(cursor: string | undefined): bigint | null {
  if (cursor === undefined) return null;
  const [id] = decodeCursor(cursor, 1);
  if (!id || !/^\d{1,19}$/.test(id)) throw new AccrueError('invalid_input', 'after: not a cursor from this API');
  return BigInt(id);
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only proves there is a next page.
 */
export function toPage<R, T>(rows: R[], limit: number, cursorOf: (r: R) => string[], map: (r: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { data: kept.map(map), next: more && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}
