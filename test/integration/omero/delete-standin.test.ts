import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOmeroStandin, type OmeroStandin } from '../../standins/omero-cli/index.js';

// The OMERO CLI stand-in's `omero delete` keeps the real CLI's shapes (test/standins/omero-cli/README.md):
// login arguments before `delete` only, exit 0 with `failed:` lines when the server refuses
// (a missing target fails the whole request), 440 without targets, the report's "Deleted objects".

let omero: OmeroStandin;
let sessions: string;

beforeAll(async () => {
  omero = await startOmeroStandin();
  sessions = await mkdtemp(join(tmpdir(), 'omero-delete-sessions-'));
});
afterAll(async () => {
  await omero?.close();
  await rm(sessions, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...omero.agentEnv(), OMERO_SESSIONDIR: sessions, OMERO_PASSWORD: omero.password };
  return new Promise((resolve) => {
    execFile(omero.executable, args, { env }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
  });
}

const LOGIN = ['-s', 'omero.test', '-p', '4064', '-u', 'agent'];

describe('the stand-in of omero delete', () => {
  beforeAll(async () => {
    await writeFile(join(omero.dir, 'state.json'), JSON.stringify({
      next_id: 2000, sessions: {}, filesets: { '900': { client_paths: ['a'], in_place: true } }, screens: {}, plates: {}, annotations: {}, annotation_links: {},
      images: { '1001': { name: 'a', fileset: '900', owner: 'agent', group: 'lab', annotations: [] }, '1002': { name: 'b', fileset: '900', owner: 'agent', group: 'lab', annotations: [] } },
      datasets: { '11': { name: 'd', images: ['1001', '1002'], owner: 'agent', group: 'lab' } },
      projects: {},
    }));
    expect((await cli(['login', ...LOGIN])).code).toBe(0);
  });

  it('refuses login arguments after the command (delete declares none) and needs targets', async () => {
    // argparse takes `-s` for an unknown option and its value for an object: either way, status 2.
    expect(await cli(['delete', ...LOGIN, 'Image:1001'])).toMatchObject({ code: 2, stderr: expect.stringContaining("invalid argument value: 'omero.test'") });
    expect(await cli(['delete', 'Image:1001', '-s', 'omero.test'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unrecognized arguments: -s') });
    expect(await cli([...LOGIN, 'delete'])).toMatchObject({ code: 440 & 0xff, stderr: expect.stringContaining('no object targets supplied') });
    expect(await cli([...LOGIN, 'delete', 'Image'])).toMatchObject({ code: 2 });
  });

  it('a missing target fails the whole request: exit 0, nothing deleted, the failure on stderr', async () => {
    const r = await cli([...LOGIN, 'delete', 'Image:1001,4242']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('omero.cmd.Delete2 Image:1001,4242 ');
    expect(r.stderr).toContain("failed: 'graph-fail'\nfailed: cannot read all the specified objects of class ome.model.core.Image");
    expect(Object.keys((await omero.state()).images)).toEqual(['1001', '1002']);
  });

  it('deletes images with their fileset and reports what went, by class', async () => {
    const r = await cli([...LOGIN, 'delete', '--report', 'Image:1001,1002']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'omero.cmd.Delete2 Image:1001,1002 ok',
      'Steps: 6',
      'Elapsed time: 0.042 secs.',
      'Flags: []',
      'Deleted objects',
      '  Image:1001,1002',
      '  Fileset:900',
      '',
    ]);
    const state = await omero.state();
    expect(state.images).toEqual({});
    expect(state.filesets).toEqual({});
    expect(state.datasets['11']?.images).toEqual([]);
  });
});
