/**
 * Rows of `omero hql --style plain`: OMERO.py's TableBuilder writes each row with Python's csv
 * writer (comma, `"` quoting, doubled quotes inside), no header, the first column being the row
 * number (`#`), then one column per projected value (an IObject as `Class:id`, a null as empty).
 * Other lines may appear on stdout (e.g. "Previous session expired for …"): only records that
 * start with a row number and have exactly the expected number of columns are rows.
 */
export function parseHqlRows(text: string, columns: number): string[][] {
  const rows: string[][] = [];
  for (const record of csvRecords(text)) {
    if (record.length !== columns + 1 || !/^\d+$/.test(record[0] ?? '')) continue;
    rows.push(record.slice(1));
  }
  return rows;
}

/** RFC 4180 records (quoted fields may span lines). */
function* csvRecords(text: string): Generator<string[]> {
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let atFieldStart = true;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
    } else if (c === ',') {
      record.push(field);
      field = '';
      atFieldStart = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      record.push(field);
      if (record.length > 1 || record[0] !== '') yield record;
      record = [];
      field = '';
      atFieldStart = true;
    } else {
      field += c;
      atFieldStart = false;
    }
  }
  if (field !== '' || record.length) {
    record.push(field);
    yield record;
  }
}
