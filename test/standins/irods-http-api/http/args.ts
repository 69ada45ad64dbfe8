/**
 * Operation arguments as the API sees them: a flat map of names to raw bytes, last one wins.
 * Values stay bytes because `bytes` of a write is binary; everything else is read as UTF-8.
 */
export class RequestArgs {
  constructor(private readonly values: ReadonlyMap<string, Buffer>) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  text(name: string): string | undefined {
    return this.values.get(name)?.toString('utf8');
  }

  bytes(name: string): Buffer | undefined {
    return this.values.get(name);
  }

  /** The API's boolean parameters are true only when exactly "1". */
  flag(name: string): boolean {
    return this.text(name) === '1';
  }
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/** curl_easy_unescape: %XX becomes the byte, anything else (a lone %, a bad escape) stays. */
function percentDecode(raw: Buffer): Buffer {
  const out = Buffer.alloc(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i += 1) {
    const byte = raw[i] ?? 0;
    if (byte === 0x25 && i + 2 < raw.length) {
      const hi = hexValue(raw[i + 1] ?? 0);
      const lo = hexValue(raw[i + 2] ?? 0);
      if (hi >= 0 && lo >= 0) {
        out[n] = hi * 16 + lo;
        n += 1;
        i += 2;
        continue;
      }
    }
    out[n] = byte;
    n += 1;
  }
  return out.subarray(0, n);
}

/**
 * to_argument_list (irods_client_http_api core/src/common.cpp), quirks included: pairs split
 * on '&' then '='; a pair with more than one '=' is dropped; the name is not decoded; the value
 * is percent-decoded and THEN every '+' becomes a space, so a literal '+' sent as %2B arrives as
 * a space too. A client must not send '+' through this encoding (multipart/form-data or the
 * header-style write keep it).
 */
export function parseUrlEncoded(body: Buffer): Map<string, Buffer> {
  const args = new Map<string, Buffer>();
  if (body.length === 0) return args;
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x26, start);
    if (end < 0) end = body.length;
    const pair = body.subarray(start, end);
    const eq = pair.indexOf(0x3d);
    if (eq < 0) {
      args.set(pair.toString('utf8'), Buffer.alloc(0));
    } else if (pair.indexOf(0x3d, eq + 1) < 0) {
      const value = Buffer.from(percentDecode(pair.subarray(eq + 1)));
      for (let i = 0; i < value.length; i += 1) if (value[i] === 0x2b) value[i] = 0x20;
      args.set(pair.subarray(0, eq).toString('utf8'), value);
    }
    start = end + 1;
  }
  return args;
}

/** get_multipart_form_data_boundary: the boundary parameter of multipart/form-data, if any. */
export function multipartBoundary(contentType: string): string | undefined {
  const match = /form-data\s*;(?:.*;)?\s*boundary=("([^"]*)"|[^;\s]+)/i.exec(contentType);
  if (!match) return undefined;
  return match[2] ?? match[1];
}

/**
 * parse_multipart_form_data (core/src/multipart_form_data.cpp): each part's Content-Disposition
 * name becomes the key and its raw body (up to the CRLF before the next boundary) the value;
 * file names and part content types are ignored. A malformed body yields what was parsed so far.
 */
export function parseMultipart(body: Buffer, boundary: string): Map<string, Buffer> {
  const args = new Map<string, Buffer>();
  const start = Buffer.from(`--${boundary}`);
  const end = Buffer.from(`--${boundary}--`);
  let pos = body.indexOf(start);
  while (pos >= 0) {
    if (body.subarray(pos, pos + end.length).equals(end)) break;
    pos += start.length;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) break;
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) break;
    const headers = body.subarray(pos, headerEnd).toString('utf8').split('\r\n');
    let name: string | undefined;
    for (const header of headers) {
      const colon = header.indexOf(':');
      if (colon < 0 || header.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue;
      const found = /(?:^|;)\s*name="([^"]*)"|(?:^|;)\s*name=([^;\s]*)/.exec(header.slice(colon + 1));
      name = found?.[1] ?? found?.[2];
    }
    const bodyStart = headerEnd + 4;
    const next = body.indexOf(start, bodyStart);
    if (next < 0 || next < 2 || body[next - 2] !== 0x0d || body[next - 1] !== 0x0a) break;
    args.set(name ?? '', body.subarray(bodyStart, next - 2));
    pos = next;
  }
  return args;
}

/**
 * std::stoll / std::stoi: optional leading whitespace and sign, then digits; trailing text is
 * ignored ("12abc" is 12). No digits at all throws in C++, which the API answers with 400.
 */
export function parseLeadingInteger(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^\s*([+-]?\d+)/.exec(text);
  if (!match?.[1]) return undefined;
  const value = Number(match[1]);
  return Number.isSafeInteger(value) ? value : undefined;
}
