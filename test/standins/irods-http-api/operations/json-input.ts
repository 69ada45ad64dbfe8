/**
 * The atomic APIs read their JSON with nlohmann::json `at()` / `get<std::string>()`; a missing key
 * or a wrong type surfaces as that library's exception text in `error_message`. These helpers
 * reproduce the texts so a client sees the same failure descriptions.
 */
export class JsonAccessError extends Error {
  constructor(
    message: string,
    readonly kind: 'out_of_range' | 'type_error',
  ) {
    super(message);
    this.name = 'JsonAccessError';
  }
}

function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'object';
  }
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `j.at(key).get<std::string>()` */
export function requireString(value: unknown, key: string): string {
  if (!isJsonObject(value)) {
    throw new JsonAccessError(`[json.exception.type_error.304] cannot use at() with ${jsonTypeName(value)}`, 'type_error');
  }
  if (!Object.hasOwn(value, key)) {
    throw new JsonAccessError(`[json.exception.out_of_range.403] key '${key}' not found`, 'out_of_range');
  }
  return asString(value[key]);
}

/** `j.get<std::string>()` */
export function asString(value: unknown): string {
  if (typeof value !== 'string') {
    throw new JsonAccessError(`[json.exception.type_error.302] type must be string, but is ${jsonTypeName(value)}`, 'type_error');
  }
  return value;
}

/** The operations array, or the nlohmann error indexing a non-array would raise. */
export function operationsOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  // size() is 0 for null and {}: the loop runs no operation and the call succeeds.
  if (value === null || (isJsonObject(value) && Object.keys(value).length === 0)) return [];
  throw new JsonAccessError(`[json.exception.type_error.305] cannot use operator[] with a numeric argument with ${jsonTypeName(value)}`, 'type_error');
}
