import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { keepMapAnnotations, openOmeroSession, OmeroCliError, type AnnotationTarget, type OmeroSession, type Pair } from '../../../src/omero/index.js';
import { mapAnnotationsOn, startOmeroStandin, type OmeroStandin } from '../../standins/omero-cli/index.js';

// keepMapAnnotations at the CLI boundary: what `omero obj --file` makes of the agent's
// transactions (the stand-in parses them with Python's shlex, as obj.py does), and how the
// agent converges on what OMERO holds whatever happened there in between.

const NS = 'irods-omero-agent/irods-metadata';
const log = createLogger({ level: 'silent' });

let omero: OmeroStandin;
let session: OmeroSession;

beforeAll(async () => {
  omero = await startOmeroStandin();
  const env = omero.agentEnv();
  const passthrough = Object.fromEntries(['OMERO_STANDIN_STATE', 'OMERO_STANDIN_LOG', 'OMERO_STANDIN_CONTROL', 'PATH', 'HOME'].map((k) => [k, env[k] ?? '']));
  session = await openOmeroSession({
    executable: omero.executable,
    connection: { host: 'omero.test', port: 4064, user: 'agent' },
    password: omero.password,
    env: passthrough,
    queryTimeoutMs: 30_000,
    log,
  });
  await omero.editState((state) => {
    for (const id of ['11', '12']) state.images[id] = { name: `img${id}`, fileset: '1', owner: 'agent', group: 'system', annotations: [] };
  });
});
afterAll(async () => {
  await session?.close();
  await omero?.close();
});
beforeEach(async () => {
  await omero.control({ obj_lost_connection_after: null });
});

const keep = (targets: AnnotationTarget[], pairs: Pair[], created: [string, string][] = []) =>
  keepMapAnnotations(session.cli, {
    namespace: NS,
    pairs,
    targets,
    onCreated: async (t, id) => {
      created.push([`${t.type}:${t.id}`, id]);
    },
  });

describe('keepMapAnnotations', () => {
  it('writes keys and values shlex would split or mistake (quotes, spaces, #, =, non-ASCII) exactly as they are', async () => {
    const pairs: Pair[] = [
      ["it's", 'a "quoted" value'],
      ['key = with equals', '#not a comment'],
      ['Zellkern', 'µm²  two spaces'],
      ['tab', 'a\tb'],
    ];
    const [kept] = await keep([{ type: 'Image', id: '11', annotationId: undefined }], pairs);
    expect(kept).toMatchObject({ action: 'created', changes: 4 });
    const [annotation] = mapAnnotationsOn(await omero.state(), 'Image:11');
    expect(annotation).toEqual({ id: kept?.annotationId, ns: NS, map: pairs });
  });

  it('converges on what OMERO holds: a key doubled there is made single, an unlinked annotation is replaced', async () => {
    const [first] = await keep([{ type: 'Image', id: '12', annotationId: undefined }], [['a', '1']]);
    const id = first?.annotationId ?? '';
    await omero.editState((state) => {
      state.annotations?.[id]?.map.push(['a', '1'], ['stray', 'x']);
    });
    const [again] = await keep([{ type: 'Image', id: '12', annotationId: id }], [['a', '1']]);
    expect(again).toMatchObject({ annotationId: id, action: 'updated' });
    expect(mapAnnotationsOn(await omero.state(), 'Image:12')[0]?.map).toEqual([['a', '1']]);

    // An OMERO user removes the annotation from the image (the link goes, the annotation stays).
    await omero.editState((state) => {
      for (const [linkId, link] of Object.entries(state.annotation_links ?? {})) if (link.child === `MapAnnotation:${id}`) delete state.annotation_links?.[linkId];
    });
    const [fresh] = await keep([{ type: 'Image', id: '12', annotationId: id }], [['a', '1']]);
    expect(fresh?.action).toBe('created');
    expect(fresh?.annotationId).not.toBe(id);
    expect(mapAnnotationsOn(await omero.state(), 'Image:12').map((a) => a.id)).toEqual([fresh?.annotationId]);
  });

  it('nothing sent when the annotation already holds the pairs; none made when there is nothing to show', async () => {
    const before = (await omero.calls()).filter((c) => c.argv[0] === 'obj').length;
    const [annotation] = mapAnnotationsOn(await omero.state(), 'Image:12');
    const kept = await keep(
      [
        { type: 'Image', id: '12', annotationId: annotation?.id },
        { type: 'Image', id: '11', annotationId: undefined },
      ],
      [],
    );
    expect(kept.map((k) => k.action)).toEqual(['updated', 'none']);
    const unchanged = await keep([{ type: 'Image', id: '12', annotationId: annotation?.id }], []);
    expect(unchanged[0]?.action).toBe('unchanged');
    // One obj call: the removal of 'a' from Image:12's annotation.
    expect((await omero.calls()).filter((c) => c.argv[0] === 'obj').length - before).toBe(1);
  });

  it('a connection lost part way: what was made is handed over at once, and the next run completes it without a duplicate', async () => {
    await omero.control({ obj_lost_connection_after: 2 });
    const created: [string, string][] = [];
    const targets: AnnotationTarget[] = [
      { type: 'Image', id: '11', annotationId: undefined },
      { type: 'Project', id: '999', annotationId: undefined },
    ];
    await omero.editState((state) => {
      state.projects['999'] = { name: 'p', datasets: [] };
    });
    const failure = await keep(targets, [['k', 'v']], created).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(OmeroCliError);
    expect((failure as OmeroCliError).code).toBe('unreachable');
    // The first annotation and its link were saved before the connection dropped.
    expect(created).toHaveLength(1);
    expect(created[0]?.[0]).toBe('Image:11');

    await omero.control({ obj_lost_connection_after: null });
    const known = new Map(created);
    const kept = await keep(
      targets.map((t) => ({ ...t, annotationId: known.get(`${t.type}:${t.id}`) })),
      [['k', 'v']],
    );
    expect(kept.map((k) => k.action)).toEqual(['updated', 'created']);
    const state = await omero.state();
    expect(mapAnnotationsOn(state, 'Image:11').filter((a) => a.ns === NS && a.id === created[0]?.[1])[0]?.map).toEqual([['k', 'v']]);
    expect(mapAnnotationsOn(state, 'Project:999')).toEqual([{ id: kept[1]?.annotationId, ns: NS, map: [['k', 'v']] }]);
  });
});
