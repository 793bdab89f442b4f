/**
 * RFC 4180 CSV writing: fields with a comma, a double quote, CR or LF are quoted and their
 * quotes doubled; records end with CRLF, the RFC's line break (spreadsheets and parsers that
 * accept LF accept CRLF too). Money is always written as a major-unit decimal string.
 */

/** RFC 4180 record separator. */
export const CSV_LINE_END = '\r\n';

/** Quotes one field when RFC 4180 requires it. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Neutralizes spreadsheet formulas in free text (a memo that starts with `=`, `+`, `-` or `@`
 * would run as a formula when a person opens the file). Used only for human-facing CSV
 * (`formatReport`), never in the replay files, which must round-trip exactly.
 */
export function csvText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Joins a header and rows into a CSV document ending with a line break. */
export function csvDocument(header: readonly string[], rows: readonly (readonly string[])[]): string {
  let out = header.map(csvField).join(',') + CSV_LINE_END;
  for (const r of rows) out += r.map(csvField).join(',') + CSV_LINE_END;
  return out;
}

/**
 * Parses an RFC 4180 document (quoted fields, doubled quotes, CRLF or LF line ends). Used by
 * tests and by anything that replays our own exports; not a general-purpose CSV reader.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i += 1;
        continue;
      }
      field += ch;
      i += 1;
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      i += 1;
    } else if (ch === ',') {
      record.push(field);
      field = '';
      i += 1;
    } else if (ch === '\r' || ch === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += ch;
      i += 1;
    }
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}
