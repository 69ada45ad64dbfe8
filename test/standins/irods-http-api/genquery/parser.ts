import { fail } from '../errors.js';

export type SelectFunction = 'none' | 'count' | 'sum' | 'min' | 'max' | 'avg' | 'order' | 'order_desc';

export interface SelectItem {
  readonly column: string;
  readonly fn: SelectFunction;
}

export type ConditionOperator = '=' | '<>' | '<' | '>' | '<=' | '>=' | 'like' | 'not like' | 'in' | 'between' | 'begin_of' | 'parent_of';

export interface Condition {
  readonly column: string;
  readonly op: ConditionOperator;
  readonly values: readonly string[];
}

export interface ParsedQuery {
  readonly select: readonly SelectItem[];
  readonly where: readonly Condition[];
}

const FUNCTIONS = new Map<string, SelectFunction>([
  ['sum', 'sum'],
  ['SUM', 'sum'],
  ['min', 'min'],
  ['MIN', 'min'],
  ['max', 'max'],
  ['MAX', 'max'],
  ['avg', 'avg'],
  ['AVG', 'avg'],
  ['count', 'count'],
  ['COUNT', 'count'],
  ['order', 'order'],
  ['order_asc', 'order'],
  ['ORDER', 'order'],
  ['ORDER_ASC', 'order'],
  ['order_desc', 'order_desc'],
  ['ORDER_DESC', 'order_desc'],
]);

/**
 * Parses a GenQuery1 string the way the 4.3 client library does before it reaches the server
 * (irods/irods lib/core/src/rcMisc.cpp fillGenQueryInpFromStrCond, getCondFromString;
 * plugins/database/src/general_query.cpp checkCondition): `select` or `SELECT`, comma-separated
 * columns optionally wrapped in sum/min/max/avg/count/order/order_desc, then `where`/`WHERE`
 * and conditions joined by ` and `/` AND ` (an `and` inside quotes does not split). Errors
 * carry the library's codes: INPUT_ARG_NOT_WELL_FORMED_ERR, NO_COLUMN_NAME_FOUND (checked by
 * the caller, which knows the columns), INVALID_GENQUERY_AGGREGATE_FUNCTION, CAT_INVALID_ARGUMENT.
 */
export function parseGenQuery1(text: string): ParsedQuery {
  let start = text.indexOf('select');
  if (start < 0) start = text.indexOf('SELECT');
  if (start < 0) fail('INPUT_ARG_NOT_WELL_FORMED_ERR', 'query must start with select');
  const rest = text.slice(start + 6);
  let whereAt = rest.indexOf('where');
  if (whereAt < 0) whereAt = rest.indexOf('WHERE');
  const selectPart = whereAt < 0 ? rest : rest.slice(0, whereAt);
  const wherePart = whereAt < 0 ? undefined : rest.slice(whereAt + 5);

  const select = selectPart.split(',').map(parseSelectItem);
  const where = wherePart === undefined ? [] : splitConditions(wherePart).map(parseCondition);
  return { select, where };
}

function parseSelectItem(raw: string): SelectItem {
  const item = raw.trim();
  const open = item.indexOf('(');
  if (open < 0) return { column: item, fn: 'none' };
  const close = item.lastIndexOf(')');
  const name = item.slice(0, open).trim();
  const fn = FUNCTIONS.get(name);
  if (!fn) fail('INVALID_GENQUERY_AGGREGATE_FUNCTION', `invalid function [${name}]`);
  return { column: item.slice(open + 1, close < 0 ? undefined : close).trim(), fn };
}

/** Splits on ' and '/' AND ' where the text before it has balanced quotes (goodStrExpr). */
function splitConditions(text: string): string[] {
  const parts: string[] = [];
  let from = 0;
  let searchFrom = 0;
  for (;;) {
    const lower = text.indexOf(' and ', searchFrom);
    const upper = text.indexOf(' AND ', searchFrom);
    const at = lower < 0 ? upper : upper < 0 ? lower : Math.min(lower, upper);
    if (at < 0) break;
    const candidate = text.slice(from, at);
    if (quotesBalanced(candidate)) {
      parts.push(candidate);
      from = at + 5;
    }
    searchFrom = at + 1;
  }
  parts.push(text.slice(from));
  return parts;
}

function quotesBalanced(text: string): boolean {
  let count = 0;
  for (const ch of text) if (ch === "'") count += 1;
  return count % 2 === 0;
}

function parseCondition(raw: string): Condition {
  const text = raw.trim();
  const space = text.indexOf(' ');
  if (space < 0) fail('INPUT_ARG_NOT_WELL_FORMED_ERR', `malformed condition [${text}]`);
  const column = text.slice(0, space);
  const expression = text.slice(space + 1).trim();
  const { op, operandText } = splitOperator(expression);
  const values = tokenizeValues(operandText);
  if (op === 'between' && values.length !== 2) fail('INPUT_ARG_NOT_WELL_FORMED_ERR', `between needs two values [${text}]`);
  if (op !== 'in' && op !== 'between' && values.length !== 1) fail('INPUT_ARG_NOT_WELL_FORMED_ERR', `malformed condition [${text}]`);
  return { column, op, values };
}

const WORD_OPERATORS: readonly [string, ConditionOperator][] = [
  ['not like ', 'not like'],
  ['NOT LIKE ', 'not like'],
  ['like ', 'like'],
  ['LIKE ', 'like'],
  ['in ', 'in'],
  ['IN ', 'in'],
  ['in(', 'in'],
  ['IN(', 'in'],
  ['between ', 'between'],
  ['BETWEEN ', 'between'],
  ['begin_of ', 'begin_of'],
  ['parent_of ', 'parent_of'],
];

function splitOperator(expression: string): { op: ConditionOperator; operandText: string } {
  for (const [word, op] of WORD_OPERATORS) {
    if (expression.startsWith(word)) {
      const skip = word.endsWith('(') ? word.length - 1 : word.length;
      return { op, operandText: expression.slice(skip) };
    }
  }
  const match = /^(<>|!=|<=|>=|=|<|>)/.exec(expression);
  if (!match?.[1]) fail('CAT_INVALID_ARGUMENT', `invalid condition operator [${expression}]`);
  const symbol = match[1];
  const op: ConditionOperator = symbol === '!=' ? '<>' : (symbol as ConditionOperator);
  return { op, operandText: expression.slice(symbol.length) };
}

/** Values: 'quoted' (the usual form) or bare tokens; parentheses and commas separate `in` lists. */
function tokenizeValues(text: string): string[] {
  const values: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '(' || ch === ')' || ch === ',' || ch === '\t') {
      i += 1;
      continue;
    }
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) fail('INPUT_ARG_NOT_WELL_FORMED_ERR', `unterminated quote in [${text}]`);
      values.push(text.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    let end = i;
    while (end < text.length && !' (),\t'.includes(text[end] ?? ' ')) end += 1;
    values.push(text.slice(i, end));
    i = end;
  }
  return values;
}
