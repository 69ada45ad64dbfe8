import { describe, expect, it } from 'vitest';
import { CANARY_COLLECTION } from '../../../src/intake/canary.js';
import { classifyPath } from '../../../src/intake/watch-filter.js';

const options = { prefixes: ['/tempZone/home/lab'], archiveSuffixes: ['.zip'], agentUser: 'omero_agent' };

describe("the doctor's canary", () => {
  it('is recorded and ignored by the intake and the sweeper alike, whoever uploads it', () => {
    expect(classifyPath(`/tempZone/home/lab/${CANARY_COLLECTION}/canary-1.zip`, 'irods_omero_agent_canary', options)).toEqual({
      watched: false,
      reason: "the doctor's canary (irods-omero-agent doctor): recorded, nothing else",
    });
    expect(classifyPath('/tempZone/home/lab/run.zip', 'alice', options)).toEqual({ watched: true });
  });
});
