import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { isStorableText } from '../store/index.js';
import { logicalPathProblem } from './landed-event.js';

/** Why an event body was refused (the answer's `error`, and the recorded reason's prefix). */
export type InputRefusalCode =
  /** A field the contract requires is absent. */
  | 'missing_field'
  /** A value of the wrong JSON type: a string where a number belongs, a number where a string does. */
  | 'wrong_type'
  /** A number outside what the field holds (negative sizes, integers past int64). */
  | 'out_of_range'
  /** A string holding NUL or an unpaired UTF-16 surrogate, which no iRODS name or PostgreSQL text can. */
  | 'invalid_string'
  /** A logical path with empty, `.` or `..` segments, a trailing slash, or not absolute. */
  | 'non_canonical_path'
  /** Any other constraint of the contract: a length, a pattern, a date-time. */
  | 'invalid_value';

export interface InputRefusal {
  readonly code: InputRefusalCode;
  /** Where, as `data.size`. */
  readonly field: string;
  readonly message: string;
}

const RANGE_ERRORS = new Set<ValueErrorType>([
  ValueErrorType.IntegerExclusiveMaximum,
  ValueErrorType.IntegerExclusiveMinimum,
  ValueErrorType.IntegerMaximum,
  ValueErrorType.IntegerMinimum,
  ValueErrorType.NumberExclusiveMaximum,
  ValueErrorType.NumberExclusiveMinimum,
  ValueErrorType.NumberMaximum,
  ValueErrorType.NumberMinimum,
]);

const TYPE_ERRORS = new Set<ValueErrorType>([
  ValueErrorType.Array,
  ValueErrorType.Boolean,
  ValueErrorType.Integer,
  ValueErrorType.Null,
  ValueErrorType.Number,
  ValueErrorType.Object,
  ValueErrorType.String,
]);

// RFC 3339, as ajv-formats checked it before: the shape, then a date that exists.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
function isDateTime(value: string): boolean {
  if (!DATE_TIME.test(value)) return false;
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && !Number.isNaN(Date.parse(value));
}
// TypeBox's formats live in one registry per process; registering the same check twice is harmless.
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isDateTime);

function fieldName(pointer: string): string {
  return pointer.replace(/^\//, '').replaceAll('/', '.') || 'body';
}

function refusalOf(error: ValueError): InputRefusal {
  const field = fieldName(error.path);
  if (error.type === ValueErrorType.ObjectRequiredProperty) return { code: 'missing_field', field, message: `${field} is required` };
  if (RANGE_ERRORS.has(error.type)) return { code: 'out_of_range', field, message: `${field}: ${error.message}` };
  if (TYPE_ERRORS.has(error.type)) return { code: 'wrong_type', field, message: `${field}: ${error.message.toLowerCase()}, not ${typeName(error.value)}` };
  return { code: 'invalid_value', field, message: `${field}: ${error.message}` };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'nothing';
  return `a ${typeof value}`;
}

/**
 * The first string (of any field, known or not) that cannot be stored, with where it is. A loop,
 * not recursion: an unknown field may nest arrays thousands deep within the body limit.
 */
function unstorableString(body: unknown): string | undefined {
  const pending: [unknown, string][] = [[body, '']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value === 'string') {
      if (!isStorableText(value)) return path;
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) pending.push([inner, path ? `${path}.${key}` : key]);
    }
  }
  return undefined;
}

/**
 * A validator for an event body schema: the schema (no coercion), then what a schema cannot say
 * clearly: every string must be storable, every logical path canonical. Undefined when the body
 * is fine; otherwise the first problem, with a reason code.
 */
export function eventBodyValidator(schema: TSchema, pathFields: readonly string[]): (body: unknown) => InputRefusal | undefined {
  const compiled = TypeCompiler.Compile(schema);
  return (body) => {
    if (!compiled.Check(body)) {
      const first = compiled.Errors(body).First();
      return first ? refusalOf(first) : { code: 'invalid_value', field: 'body', message: 'the body does not match the event contract' };
    }
    const unstorable = unstorableString(body);
    if (unstorable !== undefined) {
      return { code: 'invalid_string', field: unstorable, message: `${unstorable} holds a NUL character or an unpaired UTF-16 surrogate` };
    }
    const data = (body as { data: Record<string, unknown> }).data;
    for (const name of pathFields) {
      const path = data[name];
      const problem = typeof path === 'string' ? logicalPathProblem(path) : undefined;
      if (problem) return { code: 'non_canonical_path', field: `data.${name}`, message: `data.${name} is not a canonical logical path: ${problem}` };
    }
    return undefined;
  };
}
