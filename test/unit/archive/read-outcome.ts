import {
  ArchiveRejected,
  detectSourceFormat,
  fileSource,
  openArchive,
  type ArchiveLimits,
} from '../../../src/archive/index.js';

export const LIMITS: ArchiveLimits = {
  maxEntries: 1000,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxEntryBytes: 512 * 1024 * 1024,
  maxCompressionRatio: 200,
};

export interface ReadOutcome {
  /** The refusal, if any. */
  readonly error?: ArchiveRejected;
  /** Whether it came before any entry was handed out (openArchive itself refused). */
  readonly atOpen: boolean;
  /** Entries read completely before the refusal. */
  readonly delivered: readonly string[];
  /** Bytes the consumer received in all. */
  readonly bytes: number;
}

/** Reads every entry of the archive at `path` to its end, as the expand step would. */
export async function readOutcome(path: string, limits: ArchiveLimits = LIMITS): Promise<ReadOutcome> {
  const source = await fileSource(path);
  const delivered: string[] = [];
  let bytes = 0;
  let opened = false;
  try {
    const format = await detectSourceFormat(source, path);
    const reader = await openArchive(source, format, limits);
    opened = true;
    for await (const entry of reader) {
      for await (const chunk of await entry.open()) bytes += (chunk as Buffer).length;
      delivered.push(entry.path);
    }
    await reader.close();
    return { atOpen: false, delivered, bytes };
  } catch (err) {
    if (err instanceof ArchiveRejected) return { error: err, atOpen: !opened, delivered, bytes };
    throw err;
  } finally {
    await source.close();
  }
}
