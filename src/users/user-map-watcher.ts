import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { UserMapError } from './errors.js';
import { parseUserMapText, readUserMapText } from './user-map-loader.js';
import { digestOf, type UserMap } from './user-map.js';

export interface UserMapWatcherOptions {
  readonly path: string;
  readonly log?: Logger | undefined;
  /** Called with each new valid mapping (not for the first load). */
  readonly onChange?: ((map: UserMap) => void) | undefined;
  /** Called once per distinct invalid or unreadable content; the last good mapping stays in use. */
  readonly onError?: ((error: UserMapError) => void) | undefined;
  /** Quiet time after the last change before reloading: editors write in several steps. Default 200 ms. */
  readonly debounceMs?: number | undefined;
  /**
   * Stat the file this often as well (default 5000 ms): catches what fs.watch misses (NFS and
   * other network file systems, some container volume mounts) and replaces fs.watch if it fails.
   */
  readonly pollIntervalMs?: number | undefined;
  /** Use fs.watch (default true); false = polling only. */
  readonly watch?: boolean | undefined;
}

export type ReloadOutcome = 'unchanged' | 'reloaded' | 'invalid';

/**
 * Keeps the current mapping of a file, reloading it when the file changes. The directory is
 * watched rather than the file, because editors and config management replace a file by
 * renaming a new one over it (and Kubernetes swaps a symlink), which orphans a watch on the old
 * inode. Each reload compares the content's digest, so spurious events cost one read.
 */
export class UserMapWatcher {
  readonly path: string;
  private map: UserMap;
  private readonly options: UserMapWatcherOptions;
  private watcher: FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private lastStat: string | undefined;
  private failedDigest: string | undefined;
  private running: Promise<ReloadOutcome> | undefined;
  private again = false;
  private closed = false;

  private constructor(options: UserMapWatcherOptions, initial: UserMap, initialStat: string | undefined) {
    this.path = options.path;
    this.options = options;
    this.map = initial;
    this.lastStat = initialStat;
  }

  /** Loads the file (throws UserMapError when the first load fails: there is no good mapping yet) and starts watching. */
  static async open(options: UserMapWatcherOptions): Promise<UserMapWatcher> {
    const text = await readUserMapText(options.path);
    const initial = parseUserMapText(text, options.path);
    const w = new UserMapWatcher(options, initial, await statKey(options.path));
    w.start();
    options.log?.info({ user_map: options.path, digest: initial.digest }, 'user mapping loaded');
    return w;
  }

  /** The last valid mapping. */
  get current(): UserMap {
    return this.map;
  }

  /**
   * Reloads now (e.g. on SIGHUP). Concurrent calls share one reload; a change noticed during a
   * reload triggers one more afterwards.
   */
  reload(): Promise<ReloadOutcome> {
    if (this.closed) return Promise.resolve('unchanged');
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.reloadOnce().finally(() => {
      this.running = undefined;
      if (this.again && !this.closed) {
        this.again = false;
        this.schedule();
      }
    });
    return this.running;
  }

  /** Stops watching and polling; no callback fires afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.debounceTimer);
    clearInterval(this.pollTimer);
    this.watcher?.close();
    this.watcher = undefined;
    // Let a reload in flight finish; its result is discarded.
    await this.running?.catch(() => undefined);
  }

  private start(): void {
    const interval = this.options.pollIntervalMs ?? 5000;
    this.pollTimer = setInterval(() => void this.poll(), interval);
    this.pollTimer.unref();
    if (this.options.watch === false) return;
    try {
      // Any event in the directory schedules a reload, not only events naming the file: when the
      // file is a symlink (a Kubernetes ConfigMap swaps `..data`), the events name other entries.
      this.watcher = watch(dirname(this.path), { persistent: false }, () => this.schedule());
      this.watcher.on('error', (err) => this.fallBackToPolling(err));
    } catch (err) {
      this.fallBackToPolling(err);
    }
  }

  private fallBackToPolling(err: unknown): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.closed) return;
    this.options.log?.warn(
      { user_map: this.path, err: err instanceof Error ? err.message : String(err) },
      'cannot watch the user mapping file; polling it instead',
    );
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    const key = await statKey(this.path);
    if (key !== this.lastStat) {
      this.lastStat = key;
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 200);
    this.debounceTimer.unref();
  }

  private async reloadOnce(): Promise<ReloadOutcome> {
    let text: string;
    try {
      text = await readUserMapText(this.path);
    } catch (err) {
      return this.failed(err instanceof UserMapError ? err : wrap(this.path, err), 'unreadable');
    }
    this.lastStat = await statKey(this.path);
    if (this.closed) return 'unchanged';
    const digest = digestOf(text);
    if (digest === this.map.digest) {
      this.failedDigest = undefined;
      return 'unchanged';
    }
    let next: UserMap;
    try {
      next = parseUserMapText(text, this.path);
    } catch (err) {
      return this.failed(err instanceof UserMapError ? err : wrap(this.path, err), digest);
    }
    if (this.closed) return 'unchanged';
    this.map = next;
    this.failedDigest = undefined;
    this.options.log?.info({ user_map: this.path, digest: next.digest }, 'user mapping reloaded');
    this.options.onChange?.(next);
    return 'reloaded';
  }

  /** Reports a bad file once per distinct content, keeping the last good mapping. */
  private failed(error: UserMapError, digest: string): ReloadOutcome {
    if (this.closed) return 'invalid';
    if (this.failedDigest !== digest) {
      this.failedDigest = digest;
      this.options.log?.error(
        { user_map: this.path, err: error.message, kept: this.map.digest },
        'user mapping file is invalid; keeping the last good mapping',
      );
      this.options.onError?.(error);
    }
    return 'invalid';
  }
}

function wrap(path: string, err: unknown): UserMapError {
  return new UserMapError({
    code: 'user_map_invalid',
    file: path,
    issues: [{ where: '', message: err instanceof Error ? err.message : String(err) }],
    cause: err,
  });
}

/** What polling compares: identity, size and times of the file (following symlinks). */
async function statKey(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return undefined;
  }
}
