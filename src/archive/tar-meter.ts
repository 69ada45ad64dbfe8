import { Transform, type TransformCallback } from 'node:stream';
import { ArchiveRejected } from './archive-rejected.js';
import { ratioRejection } from './entry-guard.js';
import { asError, isAbortError } from './stream-chain.js';

export interface TarMeterLimits {
  readonly gzipped: boolean;
  readonly maxCompressionRatio: number;
  /** Tar bytes below which the ratio is not judged. */
  readonly graceBytes: number;
}

/**
 * Counts the bytes of the tar stream (after gunzip) and, for tar.gz, stops a gzip bomb: the tar
 * may not grow past maxCompressionRatio times the gzip bytes read so far.
 */
export class TarMeter extends Transform {
  tarBytes = 0;
  compressedBytes = 0;

  constructor(private readonly limits: TarMeterLimits) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.tarBytes += chunk.length;
    const { limits } = this;
    if (
      limits.gzipped &&
      this.tarBytes > limits.graceBytes &&
      this.tarBytes > limits.maxCompressionRatio * Math.max(1, this.compressedBytes)
    ) {
      callback(ratioRejection(undefined, limits.maxCompressionRatio));
      return;
    }
    callback(null, chunk);
  }
}

/** zlib's errors while gunzipping a tar.gz, as the refusal a scientist can act on. */
export function gzipError(err: unknown): Error {
  if (err instanceof ArchiveRejected || isAbortError(err)) return asError(err);
  const code = (err as { code?: unknown }).code;
  if (code === 'Z_BUF_ERROR') {
    return new ArchiveRejected(
      'truncated',
      'The archive was refused: its gzip compression ends early; it was probably cut short during upload. Upload it again.',
      undefined,
      { cause: err },
    );
  }
  return new ArchiveRejected(
    'corrupt',
    `The archive was refused: its gzip compression is damaged (${asError(err).message}).`,
    undefined,
    { cause: err },
  );
}
