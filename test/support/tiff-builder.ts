/** Hand-built TIFFs for tests: classic or BigTIFF, either byte order, an optional ImageDescription. */

export interface TiffSpec {
  readonly big: boolean;
  readonly little: boolean;
  readonly description?: string | undefined;
  /** Where the description's bytes go (default: right after the IFD). */
  readonly descriptionOffset?: number;
  readonly pixelBytes?: number;
}

/**
 * Writes a minimal TIFF by hand: header, one IFD (ImageWidth, ImageLength, BitsPerSample,
 * ImageDescription, StripOffsets, sorted by tag), the description, then `pixelBytes` of pixels.
 * Returns the segments to serve (the description may sit far away, e.g. beyond 4 GiB).
 */
export function buildTiff(spec: TiffSpec): { size: number; segments: { offset: number; bytes: Buffer }[] } {
  const { big, little } = spec;
  const description = spec.description === undefined ? undefined : Buffer.from(`${spec.description}\0`, 'utf8');
  const headerSize = big ? 16 : 8;
  const entrySize = big ? 20 : 12;
  const countSize = big ? 8 : 2;
  const offsetSize = big ? 8 : 4;
  const tags: { tag: number; type: number; count: number; value: number | 'description' }[] = [
    { tag: 256, type: 3, count: 1, value: 64 },
    { tag: 257, type: 3, count: 1, value: 64 },
    { tag: 258, type: 3, count: 1, value: 8 },
    ...(description ? [{ tag: 270, type: 2, count: description.length, value: 'description' as const }] : []),
    { tag: 273, type: 4, count: 1, value: 0 },
  ];
  const ifdSize = countSize + tags.length * entrySize + offsetSize;
  const afterIfd = headerSize + ifdSize;
  const inline = description !== undefined && description.length <= offsetSize;
  const descriptionOffset = spec.descriptionOffset ?? afterIfd;
  const pixelsOffset = afterIfd + (description && !inline && spec.descriptionOffset === undefined ? description.length : 0);
  const head = Buffer.alloc(afterIfd);
  const w16 = (v: number, at: number): void => void (little ? head.writeUInt16LE(v, at) : head.writeUInt16BE(v, at));
  const w32 = (v: number, at: number): void => void (little ? head.writeUInt32LE(v, at) : head.writeUInt32BE(v, at));
  const w64 = (v: number, at: number): void => void (little ? head.writeBigUInt64LE(BigInt(v), at) : head.writeBigUInt64BE(BigInt(v), at));
  head.write(little ? 'II' : 'MM', 0, 'latin1');
  if (big) {
    w16(43, 2);
    w16(8, 4);
    w16(0, 6);
    w64(headerSize, 8);
    w64(tags.length, headerSize);
  } else {
    w16(42, 2);
    w32(headerSize, 4);
    w16(tags.length, headerSize);
  }
  tags.forEach((t, i) => {
    const at = headerSize + countSize + i * entrySize;
    w16(t.tag, at);
    w16(t.type, at + 2);
    if (big) w64(t.count, at + 4);
    else w32(t.count, at + 4);
    const valueAt = at + 4 + (big ? 8 : 4);
    if (t.value === 'description') {
      if (inline && description) description.copy(head, valueAt);
      else if (big) w64(descriptionOffset, valueAt);
      else w32(descriptionOffset, valueAt);
    } else if (t.type === 3) {
      w16(t.value, valueAt); // SHORT, left-justified in the value field
    } else if (big) {
      w64(t.tag === 273 ? pixelsOffset : t.value, valueAt);
    } else {
      w32(t.tag === 273 ? pixelsOffset : t.value, valueAt);
    }
  });
  const segments = [{ offset: 0, bytes: head }];
  if (description && !inline) segments.push({ offset: descriptionOffset, bytes: description });
  const pixelBytes = spec.pixelBytes ?? 1 << 20;
  const end = Math.max(pixelsOffset + pixelBytes, description && !inline ? descriptionOffset + description.length : 0);
  return { size: end, segments };
}

/** The whole file as bytes (for uploading), when its segments are contiguous from 0. */
export function tiffBytes(spec: TiffSpec): Buffer {
  const tiff = buildTiff(spec);
  const out = Buffer.alloc(tiff.size);
  for (const s of tiff.segments) s.bytes.copy(out, s.offset);
  return out;
}
