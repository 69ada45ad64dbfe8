import { mkdtempSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait.js';
import { UserMapError, UserMapWatcher, type UserMap, type UserMapWatcherOptions } from '../../../src/users/index.js';

const open: UserMapWatcher[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function setup(initial: string, options: Partial<UserMapWatcherOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ioa-usermap-'));
  dirs.push(dir);
  const path = join(dir, 'users.yaml');
  await writeFile(path, initial);
  const changes: UserMap[] = [];
  const errors: UserMapError[] = [];
  const watcher = await UserMapWatcher.open({
    path,
    debounceMs: 20,
    pollIntervalMs: 50,
    onChange: (m) => changes.push(m),
    onError: (e) => errors.push(e),
    ...options,
  });
  open.push(watcher);
  return { dir, path, watcher, changes, errors };
}

/** Replaces the file in one step, so a reload never sees it half written. */
async function replace(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

const irodsUserOf = (map: UserMap, omero: string): string | undefined => map.users[omero]?.name;

describe('UserMapWatcher', () => {
  it('picks up a change written in place, never adopting the empty file seen mid-write', async () => {
    const { path, watcher, changes } = await setup('users:\n  jdoe: jdoe\n');
    expect(irodsUserOf(watcher.current, 'jdoe')).toBe('jdoe');
    await writeFile(path, 'users:\n  jdoe: john.doe\n');
    await waitFor('the new mapping', () => irodsUserOf(watcher.current, 'jdoe') === 'john.doe');
    expect(changes.map((m) => irodsUserOf(m, 'jdoe'))).toEqual(['john.doe']);
  });

  it('picks up a file replaced by rename, as editors and config management write it', async () => {
    const { path, watcher } = await setup('users:\n  jdoe: jdoe\n');
    await replace(path, 'users:\n  jdoe: jd\n');
    await waitFor('the replaced mapping', () => irodsUserOf(watcher.current, 'jdoe') === 'jd');
  });

  it('keeps the last good mapping when the new file is invalid, reports it once, and recovers when fixed', async () => {
    const { path, watcher, changes, errors } = await setup('users:\n  jdoe: jdoe\n');
    const good = watcher.current;
    await replace(path, 'users:\n  jdoe: 42\n');
    const [error] = await waitFor('the error report', () => (errors.length > 0 ? errors : undefined));
    expect(error).toBeInstanceOf(UserMapError);
    expect(error?.message).toBe(`${path}: users.jdoe: must be an iRODS user name (in quotes if it looks like a number), or null to never grant`);
    expect(watcher.current).toBe(good);
    expect(await watcher.reload()).toBe('invalid');
    expect(errors).toHaveLength(1);

    await replace(path, 'users:\n  jdoe: jdoe2\n');
    await waitFor('the fixed mapping', () => irodsUserOf(watcher.current, 'jdoe') === 'jdoe2');
    expect(changes).toHaveLength(1);
  });

  it('keeps the last good mapping when the file disappears', async () => {
    const { path, watcher, errors } = await setup('users:\n  jdoe: jdoe\n');
    await rm(path);
    const [error] = await waitFor('the error report', () => (errors.length > 0 ? errors : undefined));
    expect(error?.code).toBe('user_map_unreadable');
    expect(irodsUserOf(watcher.current, 'jdoe')).toBe('jdoe');
  });

  it('works by polling alone when told not to use fs.watch', async () => {
    const { path, watcher } = await setup('users:\n  jdoe: jdoe\n', { watch: false });
    await writeFile(path, 'users:\n  jdoe: polled\n');
    await waitFor('the polled mapping', () => irodsUserOf(watcher.current, 'jdoe') === 'polled');
  });

  it('refuses to start on an invalid file, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ioa-usermap-'));
    dirs.push(dir);
    const path = join(dir, 'users.json');
    await writeFile(path, '{"no_match": "maybe"}');
    await expect(UserMapWatcher.open({ path })).rejects.toThrow(`${path}: no_match: must be uploader-only or fail`);
  });

  it('stops reloading after close', async () => {
    const first = await setup('users:\n  jdoe: jdoe\n');
    // A second watcher on the same file shows when the change has had every chance to be seen.
    const witness = await UserMapWatcher.open({ path: first.path, debounceMs: 20, pollIntervalMs: 50 });
    open.push(witness);
    await first.watcher.close();
    await writeFile(first.path, 'users:\n  jdoe: after-close\n');
    await waitFor('the witness to see the change', () => irodsUserOf(witness.current, 'jdoe') === 'after-close');
    // Give the closed watcher several more poll periods' worth of chances, measured by the witness's own reloads.
    for (let i = 0; i < 3; i++) {
      await writeFile(first.path, `users:\n  jdoe: after-close-${i}\n`);
      await waitFor('the witness to see the change', () => irodsUserOf(witness.current, 'jdoe') === `after-close-${i}`);
    }
    expect(irodsUserOf(first.watcher.current, 'jdoe')).toBe('jdoe');
    expect(first.changes).toEqual([]);
    expect(first.errors).toEqual([]);
    expect(await first.watcher.reload()).toBe('unchanged');
  });
});
