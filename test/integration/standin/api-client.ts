/**
 * Raw HTTP helpers for the stand-in tests: requests exactly as API.md documents them (query
 * strings for GET, form bodies for POST, irods-api-request-* headers for the streaming write),
 * deliberately independent of src/irods so the stand-in is checked against the public contract.
 */

export type Params = Record<string, string | number>;

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  readonly json: Record<string, unknown> | undefined;
  readonly bytes: Buffer;
}

function toStrings(params: Params): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]));
}

async function wrap(response: Response): Promise<ApiResponse> {
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    json = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json, bytes };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export async function authenticate(baseUrl: string, username: string, password: string): Promise<ApiResponse> {
  const basic = Buffer.from(`${username}:${password}`).toString('base64');
  return wrap(await fetch(`${baseUrl}/authenticate`, { method: 'POST', headers: { authorization: `Basic ${basic}` } }));
}

export async function tokenFor(baseUrl: string, username: string, password: string): Promise<string> {
  const response = await authenticate(baseUrl, username, password);
  if (response.status !== 200) throw new Error(`authentication of ${username} failed with HTTP ${response.status}`);
  return response.text;
}

export async function get(baseUrl: string, endpoint: string, token: string | undefined, params: Params): Promise<ApiResponse> {
  const query = new URLSearchParams(toStrings(params)).toString();
  return wrap(await fetch(`${baseUrl}/${endpoint}?${query}`, { headers: token ? bearer(token) : {} }));
}

/** application/x-www-form-urlencoded POST (curl --data-urlencode). */
export async function post(baseUrl: string, endpoint: string, token: string | undefined, params: Params): Promise<ApiResponse> {
  return wrap(
    await fetch(`${baseUrl}/${endpoint}`, {
      method: 'POST',
      headers: { ...(token ? bearer(token) : {}), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(toStrings(params)).toString(),
    }),
  );
}

/** multipart/form-data POST (curl -F); Buffer values travel as binary parts. */
export async function postMultipart(baseUrl: string, endpoint: string, token: string, params: Record<string, string | number | Buffer>): Promise<ApiResponse> {
  const form = new FormData();
  for (const [name, value] of Object.entries(params)) {
    if (Buffer.isBuffer(value)) form.append(name, new Blob([value], { type: 'application/octet-stream' }), name);
    else form.append(name, String(value));
  }
  return wrap(await fetch(`${baseUrl}/data-objects`, { method: 'POST', headers: bearer(token), body: form }));
}

/** The header-style write (0.6.0+): parameters as irods-api-request-* headers, raw bytes as body. */
export async function headerWrite(baseUrl: string, token: string, headers: Params, body: Buffer): Promise<ApiResponse> {
  const apiHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [`irods-api-request-${k}`, String(v)]));
  return wrap(
    await fetch(`${baseUrl}/data-objects`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/octet-stream', 'irods-api-request-op': 'write', ...apiHeaders },
      body,
    }),
  );
}

export function statusCode(response: ApiResponse): number | undefined {
  const irods = response.json?.irods_response;
  if (typeof irods !== 'object' || irods === null) return undefined;
  const code = (irods as Record<string, unknown>).status_code;
  return typeof code === 'number' ? code : undefined;
}

/** Real iRODS codes the tests expect (rodsErrorTable.h). */
export const CODES = {
  SYS_COLLECTION_NOT_EMPTY: -79000,
  PATH_REG_NOT_ALLOWED: -129000,
  SYS_INVALID_INPUT_PARAM: -130000,
  SYS_NO_GOOD_REPLICA: -166000,
  NOT_A_COLLECTION: -170000,
  NOT_A_DATA_OBJECT: -171000,
  JSON_VALIDATION_ERROR: -172000,
  INVALID_HANDLE: -175000,
  OVERWRITE_WITHOUT_FORCE_FLAG: -312000,
  OBJ_PATH_DOES_NOT_EXIST: -358000,
  CHECK_VERIFICATION_RESULTS: -407000,
  CAT_NO_ROWS_FOUND: -808000,
  CATALOG_ALREADY_HAS_ITEM_BY_THAT_NAME: -809000,
  CAT_NO_ACCESS_PERMISSION: -818000,
  CAT_INVALID_USER: -827000,
  CAT_INSUFFICIENT_PRIVILEGE_LEVEL: -830000,
  CAT_NAME_EXISTS_AS_COLLECTION: -833000,
  CAT_COLLECTION_NOT_EMPTY: -821000,
  CAT_NO_CHECKSUM_FOR_REPLICA: -862000,
  NO_COLUMN_NAME_FOUND: -1107000,
  INVALID_OPERATION: -1811000,
  SYS_NO_API_PRIV: -13000,
  SYS_RESC_DOES_NOT_EXIST: -78000,
  SYS_REPLICA_DOES_NOT_EXIST: -164000,
  SYS_REPLICA_INACCESSIBLE: -168000,
  USER_STRLEN_TOOLONG: -306000,
  USER_PATH_EXCEEDS_MAX: -346000,
  USER_INCOMPATIBLE_PARAMS: -402000,
  USER_INVALID_REPLICA_INPUT: -403000,
  UNIX_FILE_CREATE_ERR_ENAMETOOLONG: -511036,
  CAT_RESOURCE_NOT_EMPTY: -835000,
  CHILD_EXISTS: -1802000,
  HIERARCHY_ERROR: -1803000,
  DIRECT_CHILD_ACCESS: -1816000,
} as const;
