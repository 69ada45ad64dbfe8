import { randomBytes } from 'node:crypto';
import { chunkLength, joinChunk, type ByteChunk } from './byte-chunk.js';
import type { ClientContext } from './client-context.js';
import { IrodsError } from './errors.js';

/** Where one write request lands. */
export interface WriteTarget {
  readonly lpath: string;
  readonly offset: number;
  /** Sent explicitly every time: the API truncates by default (truncate=1). */
  readonly truncate: boolean;
  readonly append?: boolean | undefined;
  readonly resource?: string | undefined;
  /** Parallel write: the handle from parallel_write_init and the stream to use. */
  readonly parallel?: { readonly handle: string; readonly streamIndex: number } | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** HTTP header values must be visible ASCII; anything else goes in a form body instead. */
const HEADER_SAFE = /^[\x20-\x7e]*$/;

/**
 * Sends one write request of at most the API's body limit. The header-style form (API 0.6.0+:
 * `irods-api-request-*` headers, raw body) is used whenever the lpath can travel in a header;
 * it is streamed by the server instead of buffered. An lpath with non-ASCII characters
 * (common in scientists' file names) cannot be a header value, so that write falls back to the
 * original multipart/form-data form, which carries UTF-8 field values. Indexed parallel writes
 * need no lpath (the handle names the object), so they always use headers.
 */
export async function sendWrite(ctx: ClientContext, target: WriteTarget, data: ByteChunk): Promise<void> {
  const op = 'write';
  const length = chunkLength(data);
  if (length > ctx.settings.maxBodyBytes) {
    // Upstream drops the connection without an answer when the body limit is exceeded
    // (core/src/session.cpp, body_limit), so refuse before sending.
    throw new IrodsError({
      status: 413,
      op: 'data-objects/write',
      lpath: target.lpath,
      message: `data-objects/write ${target.lpath} refused: a chunk of ${length} bytes exceeds the API body limit of ${ctx.settings.maxBodyBytes} bytes`,
    });
  }
  const fields: Record<string, string> = {
    offset: String(target.offset),
    truncate: target.truncate ? '1' : '0',
  };
  if (target.append) fields.append = '1';
  if (target.resource !== undefined) fields.resource = target.resource;
  if (target.parallel) {
    fields['parallel-write-handle'] = target.parallel.handle;
    fields['stream-index'] = String(target.parallel.streamIndex);
  }

  const common = { method: 'POST' as const, endpoint: 'data-objects', op, lpath: target.lpath, signal: target.signal };
  if (target.parallel || HEADER_SAFE.test(target.lpath)) {
    const headers: Record<string, string> = { 'irods-api-request-op': op };
    if (!target.parallel) headers['irods-api-request-lpath'] = target.lpath;
    for (const [key, value] of Object.entries(fields)) headers[`irods-api-request-${key}`] = value;
    await ctx.transport.raw({ ...common, headers, body: data, contentType: 'application/octet-stream' });
    return;
  }
  const { body, contentType } = encodeMultipart({ op, lpath: target.lpath, ...fields }, joinChunk(data));
  await ctx.transport.raw({ ...common, headers: {}, body, contentType });
}

/** multipart/form-data with text fields and the bytes as the `bytes` part. */
export function encodeMultipart(fields: Readonly<Record<string, string>>, bytes: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----irods-omero-agent-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8'));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="bytes"; filename="bytes"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      'utf8',
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
