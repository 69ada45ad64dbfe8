import { createHash, type Hash } from 'node:crypto';
import PQueue from 'p-queue';
import type { ArchiveEntry } from '../../archive/index.js';
import { readEntryBytes } from '../../archive/index.js';
import { isAlreadyExists } from '../../irods/errors.js';
import type { EntryRow, EntryUpdate } from '../../store/index.js';
import type { StepContext } from '../step-context.js';
import { StepFailure } from '../step-errors.js';
import { SOURCE_ARCHIVE } from './target-collection.js';

export interface TreeWriterOptions {
  /** Entries up to this size are read whole and written in one request. */
  readonly smallFileBytes: number;
  /** Entries written at once (each holds at most one small file or one write window). */
  readonly concurrency: number;
  /** Big entries of a random-access archive streamed at once (each holds one write window). */
  readonly bigEntriesAtOnce: number;
  /** Existing objects under the target: lpath → size and checksum (for resuming). */
  readonly existing: ReadonlyMap<string, { size: number; checksum: string | undefined }>;
  readonly known: ReadonlyMap<string, EntryRow>;
}

const FLUSH_ROWS = 500;
const FLUSH_MS = 1_000;

/**
 * Writes archive entries into the target collection: creates collections once, writes files
 * (small ones in one request, big ones streamed in chunks or a parallel write), verifies each
 * file end to end (SHA-256 of the bytes read from the archive against iRODS's own checksum),
 * marks it with its source archive, and records progress in batches. Writes run concurrently
 * up to `concurrency`; submit() waits for a free slot, so memory stays bounded.
 */
export class TreeWriter {
  private readonly queue: PQueue;
  /**
   * Big entries stream through a write that holds several MiB (streams × chunk, plus
   * read-ahead): a fixed few at a time, so memory stays bounded however many big files a zip
   * holds; small entries keep every other slot. One by default, since the ranged reader's
   * prefetch is shared by the open streams (bench/README.md, "One big zip entry at a time again").
   */
  private readonly bigLane: PQueue;
  /** Collections known to exist, or being created (single flight: concurrent writes share one). */
  private readonly collections = new Map<string, Promise<void>>();
  private pendingRows: EntryUpdate[] = [];
  private pendingAudit: { action: string; lpath: string; detail?: Record<string, unknown> }[] = [];
  private lastFlush = Date.now();
  private failure: Error | undefined;
  /** AGENT_TARGET_RESOURCE: the root resource every file is written to (unset: the server's default). */
  private readonly resource: { resource?: string };
  filesWritten = 0;
  filesSkipped = 0;
  bytesWritten = 0;
  /** Bytes of the files an earlier run (or attempt) wrote and this one found in place. */
  bytesSkipped = 0;
  readonly writtenPaths = new Set<string>();

  constructor(
    private readonly ctx: StepContext,
    private readonly target: string,
    private readonly archiveLpath: string,
    private readonly options: TreeWriterOptions,
  ) {
    this.queue = new PQueue({ concurrency: options.concurrency });
    this.bigLane = new PQueue({ concurrency: options.bigEntriesAtOnce });
    const resource = ctx.config.irods.targetResource;
    this.resource = resource === undefined ? {} : { resource };
    this.collections.set(target, Promise.resolve());
  }

  /** Runs `task` when a slot is free; the first failure stops everything (see check()). */
  async submit(task: () => Promise<void>): Promise<void> {
    this.check();
    await this.queue.onSizeLessThan(this.options.concurrency);
    this.check();
    this.enqueue(task);
  }

  /** Queues `task` without waiting for a slot; drain() waits for it, its failure stops everything. */
  private enqueue(task: () => Promise<void>): void {
    void this.queue.add(task).catch((err: unknown) => {
      this.recordFailure(err);
      this.queue.clear();
    });
  }

  /** Keeps the first failure: check() throws it from now on. */
  private recordFailure(err: unknown): void {
    this.failure ??= err instanceof Error ? err : new Error(String(err));
  }

  /** Throws the first failure of a background write. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  async drain(): Promise<void> {
    await this.queue.onIdle();
    this.check();
    await this.flush(true);
  }

  /** Stops taking work and waits for writes in flight (after a failure or a cancel). */
  async abandon(): Promise<void> {
    this.queue.clear();
    await this.queue.onIdle();
    await this.flush(true).catch(() => undefined);
  }

  ensureCollection(relativePath: string): Promise<void> {
    const lpath = relativePath ? `${this.target}/${relativePath}` : this.target;
    const known = this.collections.get(lpath);
    if (known) return known;
    const creating = this.ctx.irods.collections.create(lpath, { intermediates: true }).then(({ created }) => {
      if (created) this.pendingAudit.push({ action: 'create_collection', lpath });
      // Intermediates exist now too: record each folder once, as an entry of the archive tree.
      for (let p = lpath; p.length > this.target.length; p = p.slice(0, p.lastIndexOf('/'))) {
        if (p !== lpath && this.collections.has(p)) break;
        if (p !== lpath) this.collections.set(p, creating);
        this.rows({ path: p.slice(this.target.length + 1), kind: 'directory', state: 'written' });
      }
    });
    this.collections.set(lpath, creating);
    // A failed create must not be remembered as done.
    creating.catch(() => this.collections.delete(lpath));
    return creating;
  }

  /** True when a resumed run finds this entry already written, byte-exact. */
  isDone(entry: ArchiveEntry): boolean {
    const row = this.options.known.get(entry.path);
    if (!row || row.state !== 'written' || row.size !== entry.size || !row.irods_checksum) return false;
    const there = this.options.existing.get(`${this.target}/${entry.path}`);
    if (!there || there.size !== entry.size || there.checksum !== row.irods_checksum) return false;
    this.filesSkipped += 1;
    this.bytesSkipped += entry.size;
    this.writtenPaths.add(entry.path);
    return true;
  }

  /** Reads a small entry now (it is the current one of a sequential archive) and writes it later. */
  async submitSmall(entry: ArchiveEntry): Promise<void> {
    const bytes = await readEntryBytes(entry, this.options.smallFileBytes, this.ctx.signal);
    await this.submit(() => this.writeBytes(entry, bytes));
  }

  /** Opens, reads and writes an entry inside a slot (random-access archives). */
  async submitEntry(entry: ArchiveEntry): Promise<void> {
    await this.submit(async () => {
      if (entry.size <= this.options.smallFileBytes) await this.readAndWriteSmall(entry);
      else await this.bigLane.add(() => this.streamInLane(entry));
    });
  }

  /**
   * A big entry's turn in its lane. Entries wait there while others stream; once one has failed
   * the attempt is lost, so the rest must not start (each could be GiBs). The failure is recorded
   * here, before the lane hands the next entry its turn, because the queue learns of it only a
   * few promise hops later.
   */
  private async streamInLane(entry: ArchiveEntry): Promise<void> {
    this.check();
    try {
      await this.writeStreamed(entry);
    } catch (err) {
      this.recordFailure(err);
      throw err;
    }
  }

  private async readAndWriteSmall(entry: ArchiveEntry): Promise<void> {
    const bytes = await readEntryBytes(entry, this.options.smallFileBytes, this.ctx.signal);
    await this.writeBytes(entry, bytes);
  }

  private async writeBytes(entry: ArchiveEntry, bytes: Buffer): Promise<void> {
    const lpath = await this.prepare(entry);
    await this.ctx.irods.dataObjects.writeChunk(lpath, bytes, { offset: 0, truncate: true, signal: this.ctx.signal, ...this.resource });
    await this.finish(entry, lpath, bytes.length, `sha2:${createHash('sha256').update(bytes).digest('base64')}`);
  }

  /**
   * Streams a big entry straight from the archive into iRODS (chunked or parallel write), and
   * returns once its bytes are written: its verification goes on in the background (queued
   * like any write, so drain() waits for it), because iRODS computes the checksum by reading
   * the whole object back, a fraction of a second per 100 MiB during which the next entry can
   * already stream. It holds no buffer meanwhile.
   */
  async writeStreamed(entry: ArchiveEntry): Promise<void> {
    const lpath = await this.prepare(entry);
    const stream = await entry.open(this.ctx.signal);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      const written = await this.ctx.irods.dataObjects.writeStream(lpath, hashedChunks(stream, hash), { size: entry.size, signal: this.ctx.signal, ...this.resource });
      bytes = written.bytesWritten;
    } finally {
      stream.destroy();
    }
    const localChecksum = `sha2:${hash.digest('base64')}`;
    this.enqueue(() => this.finish(entry, lpath, bytes, localChecksum));
  }

  private async prepare(entry: ArchiveEntry): Promise<string> {
    const slash = entry.path.lastIndexOf('/');
    if (slash > 0) await this.ensureCollection(entry.path.slice(0, slash));
    return `${this.target}/${entry.path}`;
  }

  private async finish(entry: ArchiveEntry, lpath: string, bytes: number, localChecksum: string): Promise<void> {
    const checksum = await this.ctx.irods.dataObjects.calculateChecksum(lpath, { force: true });
    if (checksum !== localChecksum) {
      throw new StepFailure(
        'checksum_mismatch',
        `${lpath} does not hold the bytes read from the archive (iRODS ${checksum}, archive ${localChecksum}); it will be written again.`,
        { retryable: true, entry: entry.path },
      );
    }
    try {
      await this.ctx.irods.dataObjects.modifyMetadata(lpath, [{ operation: 'add', attribute: SOURCE_ARCHIVE, value: this.archiveLpath }]);
    } catch (err) {
      // A rewrite after a crash: the object kept its marker.
      if (!isAlreadyExists(err)) throw err;
    }
    this.filesWritten += 1;
    this.bytesWritten += bytes;
    this.writtenPaths.add(entry.path);
    this.ctx.metrics.filesExpanded.inc();
    this.ctx.metrics.bytesExpanded.inc(bytes);
    this.rows({ path: entry.path, kind: 'file', size: bytes, crc32: entry.crc32 ?? null, state: 'written', bytesWritten: bytes, irodsChecksum: checksum });
    this.pendingAudit.push({ action: 'write', lpath, detail: { bytes, checksum } });
    await this.flush(false);
  }

  private rows(update: EntryUpdate): void {
    this.pendingRows.push(update);
  }

  /** Writes progress to PostgreSQL every FLUSH_ROWS entries or FLUSH_MS, not per entry. */
  async flush(force: boolean): Promise<void> {
    if (!force && this.pendingRows.length < FLUSH_ROWS && Date.now() - this.lastFlush < FLUSH_MS) return;
    // One row per path in a statement (PostgreSQL refuses to upsert a row twice in one command).
    const rows = [...new Map(this.pendingRows.map((r) => [r.path, r])).values()];
    const auditRows = this.pendingAudit;
    this.pendingRows = [];
    this.pendingAudit = [];
    this.lastFlush = Date.now();
    await this.ctx.recordEntries(rows);
    await this.ctx.auditBatch(auditRows);
    // What the job has done in all its runs: files found in place count as much as files written.
    await this.ctx.progress(this.done());
  }

  /** Files and bytes in place so far, whichever run wrote them. */
  done(): { entriesDone: number; bytesDone: number } {
    return { entriesDone: this.filesWritten + this.filesSkipped, bytesDone: this.bytesWritten + this.bytesSkipped };
  }
}

/** `source`'s chunks passed on unchanged, each added to `hash` first: the SHA-256 of what goes out. */
export async function* hashedChunks(source: AsyncIterable<unknown>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const buffer = chunk as Buffer;
    hash.update(buffer);
    yield buffer;
  }
}
