import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { generatedTar, generatedZip, type GeneratedEntry } from '../../test/support/archives/generated-source.js';
import { buildTar } from '../../test/support/archives/tar-builder.js';
import { buildZip } from '../../test/support/archives/zip-builder.js';

export type BenchFormat = 'zip' | 'tar';
export type BenchPhase = 'big' | 'small';

export interface ArchiveShape {
  /** Big-file phase: this many files of `bigBytes / bigFiles` pseudo-random bytes each. */
  readonly bigFiles: number;
  readonly bigBytes: number;
  /** Small-file phase: this many files of 1–`smallMaxBytes` bytes, `perFolder` to a folder. */
  readonly smallFiles: number;
  readonly smallMaxBytes: number;
  readonly perFolder: number;
}

/**
 * The files of one phase. Big and small files go into two archives so that each phase is timed
 * on its own (the big one measures bytes/s, the small one files/s). Sizes are deterministic, so
 * runs compare. Entries are stored: pseudo-random bytes do not compress, and inflating is not
 * what this bench measures.
 */
export function phaseEntries(phase: BenchPhase, shape: ArchiveShape): GeneratedEntry[] {
  if (phase === 'big') {
    const each = Math.floor(shape.bigBytes / shape.bigFiles);
    return Array.from({ length: shape.bigFiles }, (_, i) => ({ name: `images/big-${i + 1}.ome.tiff`, size: each }));
  }
  return Array.from({ length: shape.smallFiles }, (_, i) => {
    // A spread of sizes from 1 byte to smallMaxBytes, the same every run (Knuth's multiplicative hash).
    const size = 1 + ((i * 2654435761) % shape.smallMaxBytes);
    const folder = String(Math.floor(i / shape.perFolder)).padStart(4, '0');
    return { name: `tiles/f${folder}/tile-${String(i).padStart(6, '0')}.bin`, size };
  });
}

/**
 * Writes the archive to `path`. Big files are generated as a stream (bytes computed from their
 * offset, so a multi-GiB archive never sits in memory); the generator keeps a 4 MiB keystream
 * pool per entry, so the many small files are written by the tar-stream/yazl builders from
 * buffers instead (10k × 8 KiB at most: tens of MiB). Returns the archive's size.
 */
export async function writeArchiveFile(path: string, format: BenchFormat, phase: BenchPhase, entries: readonly GeneratedEntry[]): Promise<number> {
  if (phase === 'big') {
    const source = format === 'zip' ? generatedZip(entries) : generatedTar(entries);
    await pipeline(source.createReadStream(0, source.size), createWriteStream(path, { highWaterMark: 1024 * 1024 }));
    return source.size;
  }
  const files = entries.map((e) => ({ name: e.name, data: pseudoRandomBytes(e.name, e.size), compress: false }));
  if (format === 'zip') await buildZip(files, { path });
  else await buildTar(files, { path });
  return (await stat(path)).size;
}

/** `size` bytes that do not compress, the same for the same name. */
function pseudoRandomBytes(name: string, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let at = 0, block = 0; at < size; at += 32, block++) {
    createHash('sha256').update(`${name}:${block}`).digest().copy(out, at, 0, Math.min(32, size - at));
  }
  return out;
}
