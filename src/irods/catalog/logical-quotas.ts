import type { QueryApi } from '../types.js';
import { genquery1, inList, like } from './genquery-text.js';
import { collectionAndAncestors } from './lpaths.js';

/**
 * The logical quotas the logical_quotas rule engine plugin keeps as AVUs on collections
 * (irods/irods_rule_engine_plugin_logical_quotas, 4.3.5.1 and 5.0.x: src/handler.cpp,
 * src/attributes.hpp): `<namespace>::maximum_number_of_data_objects`,
 * `<namespace>::maximum_size_in_bytes`, and the running totals `<namespace>::total_number_of_data_objects`
 * and `<namespace>::total_size_in_bytes` on a monitored collection. The namespace is the
 * plugin's configuration (default `irods::logical_quotas`).
 */
export const DEFAULT_LOGICAL_QUOTAS_NAMESPACE = 'irods::logical_quotas';

export interface LogicalQuota {
  /** The collection carrying the AVUs. */
  readonly collection: string;
  readonly maxObjects: number | undefined;
  readonly maxBytes: number | undefined;
  readonly totalObjects: number | undefined;
  readonly totalBytes: number | undefined;
  /** The attribute names, to name the quota in a message. */
  readonly attributes: { readonly maxObjects: string; readonly maxBytes: string };
}

/**
 * The quotas on `collection` and its ancestors, nearest first: only collections with a maximum
 * (a monitored collection without one limits nothing). Values that are not integers are ignored,
 * as the plugin's std::stoll would fail on them.
 */
export async function logicalQuotasOver(query: QueryApi, collection: string, namespace = DEFAULT_LOGICAL_QUOTAS_NAMESPACE, signal?: AbortSignal): Promise<LogicalQuota[]> {
  const names = {
    maxObjects: `${namespace}::maximum_number_of_data_objects`,
    maxBytes: `${namespace}::maximum_size_in_bytes`,
    totalObjects: `${namespace}::total_number_of_data_objects`,
    totalBytes: `${namespace}::total_size_in_bytes`,
  };
  const collections = collectionAndAncestors(collection);
  const values = new Map<string, Map<string, number>>();
  for await (const [coll = '', attribute = '', value = ''] of query.genquery(
    genquery1(['COLL_NAME', 'META_COLL_ATTR_NAME', 'META_COLL_ATTR_VALUE'], [inList('COLL_NAME', collections), like('META_COLL_ATTR_NAME', `${namespace}::%`)]),
    { signal },
  )) {
    if (!/^\s*\d+\s*$/.test(value)) continue;
    const byName = values.get(coll) ?? new Map<string, number>();
    values.set(coll, byName);
    byName.set(attribute, Number(value));
  }
  const quotas: LogicalQuota[] = [];
  for (const c of collections) {
    const byName = values.get(c);
    if (!byName) continue;
    const quota: LogicalQuota = {
      collection: c,
      maxObjects: byName.get(names.maxObjects),
      maxBytes: byName.get(names.maxBytes),
      totalObjects: byName.get(names.totalObjects),
      totalBytes: byName.get(names.totalBytes),
      attributes: { maxObjects: names.maxObjects, maxBytes: names.maxBytes },
    };
    if (quota.maxObjects !== undefined || quota.maxBytes !== undefined) quotas.push(quota);
  }
  return quotas;
}
