import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { OmeroCli, type OmeroConnection } from './omero-cli.js';

export interface OmeroSessionOptions {
  readonly executable: string;
  readonly connection: OmeroConnection;
  readonly password: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  /** Parent of the session's private directory (default: the system temp dir). */
  readonly workDir?: string | undefined;
  readonly queryTimeoutMs: number;
  readonly log: Logger;
  readonly signal?: AbortSignal | undefined;
}

export interface OmeroSession {
  readonly cli: OmeroCli;
  /** Logs out (best effort) and removes the session directory. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Logs in once for one job: a fresh private directory (mode 0700, as mkdtemp makes it) becomes
 * OMERO_SESSIONDIR, so the session key never leaves it, concurrent jobs never share or replace
 * each other's "current" session, and a crashed job leaves nothing a later one could pick up;
 * the session ends with `omero logout` (or OMERO's idle timeout if even that fails).
 */
export async function openOmeroSession(options: OmeroSessionOptions): Promise<OmeroSession> {
  const base = options.workDir ?? tmpdir();
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, 'ioa-omero-'));
  const sessionDir = join(dir, 'sessions');
  await mkdir(sessionDir, { mode: 0o700 });
  const cli = new OmeroCli({
    executable: options.executable,
    connection: options.connection,
    env: options.env,
    sessionDir,
    cwd: dir,
    queryTimeoutMs: options.queryTimeoutMs,
    log: options.log,
  });
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await cli.login(options.password, options.signal);
  } catch (err) {
    await remove();
    throw err;
  }
  let closed = false;
  return {
    cli,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await cli.logout();
      } catch (err) {
        options.log.debug({ err }, 'omero logout failed; the session will expire on the server');
      }
      await remove();
    },
  };
}
