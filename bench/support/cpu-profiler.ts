import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';

/**
 * Profiles this process between start() and stop() through the inspector, so a profile covers
 * only the load (not start-up, which under tsx is mostly module compilation). stop() writes a
 * `.cpuprofile` that summariseProfiles() or Chrome DevTools reads.
 */
export function inProcessProfiler(): { start(): Promise<void>; stop(file: string): Promise<void> } {
  let session: Session | undefined;
  return {
    async start() {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
    },
    async stop(file) {
      if (!session) throw new Error('the profiler was not started');
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      await writeFile(file, JSON.stringify(profile));
    },
  };
}
