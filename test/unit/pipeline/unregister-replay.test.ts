import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { ReplayRefused, replayStart } from '../../../src/pipeline/replay.js';
import { omeroServerTarget } from '../../../src/pipeline/unregister/server-target.js';

describe('replays and the unregister step', () => {
  const enabled = loadConfig({ OMERO_ENABLED: 'true', OMERO_PASSWORD: 'x' });
  const code = (r: unknown) => (r instanceof ReplayRefused ? r.code : r);

  it('repeats an unregister run as one (a no-op once done), whatever its end', () => {
    expect(replayStart(enabled, { state: 'succeeded', step: 'unregister' })).toBe('unregister');
    expect(replayStart(enabled, { state: 'failed', step: 'unregister' })).toBe('unregister');
    expect(replayStart(enabled, { state: 'succeeded', step: 'unregister' }, 'inspect')).toBe('inspect');
    expect(replayStart(enabled, { state: 'succeeded', step: 'finalize' })).toBe('inspect');
  });

  it('never starts an unregister the operator did not ask for, nor one with OMERO off', () => {
    expect(code(replayStart(enabled, { state: 'succeeded', step: 'finalize' }, 'unregister'))).toBe('step_disabled');
    expect(code(replayStart(loadConfig({}), { state: 'failed', step: 'unregister' }))).toBe('step_disabled');
  });
});

describe('omeroServerTarget', () => {
  it('knows the default server (the OMERO_* settings) under today\'s attribute names, and no other', () => {
    const target = omeroServerTarget(loadConfig({ OMERO_HOST: 'omero.lab', OMERO_PORT: '4064' }));
    expect(target).toMatchObject({ name: 'default', address: 'omero.lab:4064' });
    expect(target?.attribute('image')).toBe('irods_omero_agent::omero_image_id');
    expect(target?.attribute('server')).toBe('irods_omero_agent::omero_server');
    expect(omeroServerTarget(loadConfig({}), 'elsewhere')).toBeUndefined();
  });
});
