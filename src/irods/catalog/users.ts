import type { QueryApi } from '../types.js';
import { genquery1, inList } from './genquery-text.js';

/** A user or group as the catalog names it (type: rodsuser, rodsgroup, rodsadmin, groupadmin). */
export interface CatalogPrincipal {
  readonly name: string;
  readonly zone: string;
  readonly type: string;
}

/** USER_IDs per lookup query: few distinct principals appear in a tree's ACLs. */
const IDS_PER_QUERY = 50;

/**
 * The users and groups with these USER_IDs, by id (ids that are not numbers, or name no one, are
 * left out). Groups are principals too: an ACL naming a group is resolved to the group.
 */
export async function usersById(query: QueryApi, ids: readonly string[], signal?: AbortSignal): Promise<Map<string, CatalogPrincipal>> {
  const out = new Map<string, CatalogPrincipal>();
  const numeric = ids.filter((id) => /^\d+$/.test(id));
  for (let i = 0; i < numeric.length; i += IDS_PER_QUERY) {
    const text = genquery1(['USER_ID', 'USER_NAME', 'USER_ZONE', 'USER_TYPE'], [inList('USER_ID', numeric.slice(i, i + IDS_PER_QUERY))]);
    for await (const [id = '', name = '', zone = '', type = ''] of query.genquery(text, { signal })) {
      if (id && name) out.set(id, { name, zone, type });
    }
  }
  return out;
}
