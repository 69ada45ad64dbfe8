import type { Config } from '../../config/index.js';
import { ConfigError } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import { defaultUserMap, UserMapError, UserMapWatcher, type UserMap } from '../../users/index.js';

/**
 * Where the permissions step gets the mapping. `current()` is asked once per run of the step,
 * so a reloaded file applies to every plan made from then on (replays included), and a run
 * never mixes two mappings.
 */
export interface UserMapSource {
  current(): UserMap;
}

/** A source the agent process owns: the file watcher, or the built-in defaults. */
export interface OpenedUserMapSource extends UserMapSource {
  /** The mapping file, or undefined for the built-in defaults. */
  readonly path: string | undefined;
  close(): Promise<void>;
}

/** Always the same mapping (tests, and agents without AGENT_USER_MAP). */
export function fixedUserMapSource(map: UserMap): UserMapSource {
  return { current: () => map };
}

/**
 * Opens AGENT_USER_MAP and watches it, or uses the defaults (nobody mapped) when it is unset.
 * An invalid or unreadable file stops the agent at start (ConfigError naming the file and each
 * bad place): with no good mapping yet there is nothing safe to fall back on. Later bad edits
 * are logged and the last good mapping stays in use (UserMapWatcher).
 */
export async function openUserMapSource(config: Config, log: Logger): Promise<OpenedUserMapSource> {
  const path = config.userMapPath;
  if (path === undefined || path === '') {
    log.warn('AGENT_USER_MAP is not set: only uploaders get access to expanded archives (docs/user-mapping.md)');
    const map = defaultUserMap();
    return { path: undefined, current: () => map, close: async () => undefined };
  }
  let watcher: UserMapWatcher;
  try {
    watcher = await UserMapWatcher.open({ path, log: log.child({ component: 'user-map' }) });
  } catch (err) {
    if (err instanceof UserMapError) throw new ConfigError('AGENT_USER_MAP', err.message);
    throw err;
  }
  return { path, current: () => watcher.current, close: () => watcher.close() };
}
