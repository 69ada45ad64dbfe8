/**
 * The bytes of one write request: one buffer, or consecutive pieces sent back to back. A chunk
 * cut across several incoming buffers (an archive entry read in 64 KiB pieces, a tar member
 * that starts mid-buffer) then goes out without first being copied into a buffer of its own.
 */
export type ByteChunk = Buffer | readonly Buffer[];

export function chunkLength(chunk: ByteChunk): number {
  if (Buffer.isBuffer(chunk)) return chunk.length;
  let n = 0;
  for (const piece of chunk) n += piece.length;
  return n;
}

/** One buffer with the chunk's bytes (copied only when it is made of several pieces). */
export function joinChunk(chunk: ByteChunk): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  return chunk.length === 1 ? (chunk[0] as Buffer) : Buffer.concat(chunk);
}
