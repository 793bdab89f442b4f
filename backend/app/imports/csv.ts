/**
 * Reading an import file: CSV (RFC 4180, parsed by `csv-parse`) with a header row naming the
 * columns. Problems are collected row by row, each with its line number, and reported together:
 * an import either passes every check or writes nothing.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { AccrueError } from '../../../shared/errors.ts';

/** Rows in one import file: a cutover or an adjustment batch is hundreds, not millions. */
export const IMPORT_ROWS_MAX = 50_000;
/** Problems spelled out in the error message; the rest are counted. */
const PROBLEMS_SHOWN_MAX = 50;

/** One data row: its line in the file and its cells by column name (trimmed, '' when empty). */
export interface CsvRow {
  line: number;
  cells: Record<string, string>;
}

export interface ColumnSpec {
  required: readonly string[];
  optional: readonly string[];
}

/** A problem with the file, the row at `line`, or the whole import (`line` 0). */
export interface ImportProblem {
  line: number;
  problem: string;
}

/** Collects problems while checking an import; `fail` throws them all at once. */
export class ImportProblems {
  readonly list: ImportProblem[] = [];
  add(line: number, problem: string): void {
    this.list.push({ line, problem });
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
  /** Throws `invalid_input` naming every problem (sorted by line) when there is any. */
  throwIfAny(what: string): void {
    if (this.empty) return;
    throw importError('invalid_input', what, this.list);
  }
}

/** The error an import ends with: one line per problem, in file order, `problems` in the details. */
export function importError(code: 'invalid_input' | 'conflict', what: string, problems: ImportProblem[]): AccrueError {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  const shown = sorted
    .slice(0, PROBLEMS_SHOWN_MAX)
    .map((p) => (p.line > 0 ? `line ${p.line}: ${p.problem}` : p.problem));
  const more = sorted.length > PROBLEMS_SHOWN_MAX ? `; and ${sorted.length - PROBLEMS_SHOWN_MAX} more` : '';
  return new AccrueError(
    code,
    `${what}: nothing was imported; ${sorted.length} problem${sorted.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`,
    { problems: sorted },
  );
}

/**
 * Parses `text` as CSV with a header. Column names are matched case-insensitively; a missing
 * required column or an unknown one fails the whole file, as does malformed CSV (named by line).
 */
export function readCsv(text: string, spec: ColumnSpec, what: string): CsvRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as typeof records;
  } catch (e) {
    const line = e instanceof CsvError ? Number((e as CsvError & { lines?: number }).lines ?? 0) : 0;
    throw importError('invalid_input', what, [{ line, problem: `not readable as CSV (${(e as Error).message})` }]);
  }
  const problems = new ImportProblems();
  const [header, ...data] = records;
  if (!header) throw importError('invalid_input', what, [{ line: 0, problem: 'the file is empty' }]);
  const names = header.record.map((h) => h.toLowerCase());
  const known = new Set([...spec.required, ...spec.optional]);
  for (const n of names)
    if (!known.has(n)) problems.add(header.info.lines, `unknown column "${n}" (columns: ${[...known].join(', ')})`);
  for (const r of spec.required) if (!names.includes(r)) problems.add(header.info.lines, `missing column "${r}"`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) problems.add(header.info.lines, `column "${dup}" appears twice`);
  problems.throwIfAny(what);
  if (!data.length) throw importError('invalid_input', what, [{ line: 0, problem: 'the file has no rows' }]);
  if (data.length > IMPORT_ROWS_MAX)
    throw importError('invalid_input', what, [
      { line: 0, problem: `${data.length} rows; split the file (at most ${IMPORT_ROWS_MAX} rows)` },
    ]);
  const rows: CsvRow[] = [];
  for (const { record, info } of data) {
    if (record.length !== names.length) {
      problems.add(info.lines, `${record.length} cells where the header has ${names.length}`);
      continue;
    }
    const cells: Record<string, string> = {};
    for (const n of known) cells[n] = '';
    names.forEach((n, i) => (cells[n] = record[i] ?? ''));
    rows.push({ line: info.lines, cells });
  }
  problems.throwIfAny(what);
  return rows;
}
