import { ArchiveRejected, quoteEntry } from './archive-rejected.js';
import type { ArchiveEntry } from './archive-types.js';
import { formatBytes } from './format-bytes.js';

/**
 * The whole content of a small entry (transfer.xml) in memory, refusing it past `maxBytes`
 * (config.limits.maxXmlBytes) before buffering more than that.
 */
export async function readEntryBytes(entry: ArchiveEntry, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  if (entry.size > maxBytes) throw tooBig(entry.path, maxBytes);
  const stream = await entry.open(signal);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      if (total > maxBytes) throw tooBig(entry.path, maxBytes);
      chunks.push(buffer);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks, total);
}

function tooBig(path: string, maxBytes: number): ArchiveRejected {
  return new ArchiveRejected(
    'too_large',
    `The archive was refused: entry ${quoteEntry(path)} is larger than ${formatBytes(maxBytes)}, the most the agent reads into memory.`,
    path,
  );
}
