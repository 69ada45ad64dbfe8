import type { JsonObject } from './error-mapping.js';
import { IrodsError } from './errors.js';
import type { AclEntry } from './types.js';

/**
 * Tolerant readers of documented response fields: a missing or mistyped field becomes a neutral
 * value rather than a crash, because the API's JSON is pre-1.0 and grows between versions.
 */

export function str(body: JsonObject, key: string): string | undefined {
  const v = body[key];
  return typeof v === 'string' ? v : undefined;
}

/** A string field the operation must answer with: its absence is the server's failure, named as `op lpath` (`op` is `endpoint/operation`). */
export function requiredStr(body: JsonObject, key: string, op: string, lpath: string): string {
  const v = str(body, key);
  if (!v) throw new IrodsError({ status: 200, op, lpath, message: `${op} ${lpath} failed: the answer has no ${key}` });
  return v;
}

export function num(body: JsonObject, key: string): number {
  const v = body[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return 0;
}

export function bool(body: JsonObject, key: string): boolean {
  const v = body[key];
  return v === true || v === 1 || v === '1' || v === 'true';
}

export function strings(body: JsonObject, key: string): string[] {
  const v = body[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function field(o: object, key: string): string {
  const v = (o as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : '';
}

export function aclEntries(body: JsonObject, key = 'permissions'): AclEntry[] {
  const v = body[key];
  if (!Array.isArray(v)) return [];
  return v
    .filter((e): e is object => typeof e === 'object' && e !== null)
    .map((e) => ({ name: field(e, 'name'), zone: field(e, 'zone'), type: field(e, 'type'), perm: field(e, 'perm') }));
}
