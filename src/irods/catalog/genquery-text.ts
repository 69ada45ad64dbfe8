/**
 * GenQuery1 text, written here and nowhere else: the catalog functions build their queries from
 * these pieces, so quoting is decided once. GenQuery1 has no escape for a single quote inside a
 * literal (irods/irods lib/core/src/rcMisc.cpp, fillGenQueryInpFromStrCond, ends the literal at
 * the next quote), so a value holding one is refused before anything is sent.
 */

/** Thrown when a query cannot be written in GenQuery1 (a single quote in a literal). */
export class UnquotableQueryError extends RangeError {
  override readonly name = 'UnquotableQueryError';
  constructor(readonly value: string) {
    super(`GenQuery1 cannot quote ${JSON.stringify(value)} (it contains a single quote)`);
  }
}

/** A GenQuery1 string literal, or undefined when the value cannot be one. */
export function genqueryLiteral(value: string): string | undefined {
  return value.includes("'") ? undefined : `'${value}'`;
}

/** Whether the catalog can be asked about `value` at all (GenQuery1 can quote it). */
export const canQuery = (value: string): boolean => genqueryLiteral(value) !== undefined;

function literal(value: string): string {
  const quoted = genqueryLiteral(value);
  if (quoted === undefined) throw new UnquotableQueryError(value);
  return quoted;
}

/** `column = 'value'` */
export const equals = (column: string, value: string): string => `${column} = ${literal(value)}`;

/** `column like 'pattern'`: `%` and `_` in the pattern are wildcards, so callers filter rows again. */
export const like = (column: string, pattern: string): string => `${column} like ${literal(pattern)}`;

/** `column in ('a', 'b')` */
export const inList = (column: string, values: readonly string[]): string => `${column} in (${values.map(literal).join(', ')})`;

/**
 * `SELECT columns WHERE conditions` (conditions joined by AND). The client lower-cases the
 * keywords before sending (genquery.ts, withLowercaseKeywords).
 */
export function genquery1(columns: readonly string[], conditions: readonly string[]): string {
  return `SELECT ${columns.join(', ')} WHERE ${conditions.join(' AND ')}`;
}
