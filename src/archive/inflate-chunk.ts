// zlib's default output chunk is 16 KiB; 64 KiB chunks quarter the per-chunk cost (guard, CRC,
// consumer writes) at a bounded memory price.
export const INFLATE_CHUNK_BYTES = 64 * 1024;
