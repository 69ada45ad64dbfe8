import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  imeta,
  imv,
  imvColl,
  irm,
  irmColl,
  IRODS_VERSIONS,
  runDelayServer,
  runScenario,
  serverLog,
  type IrodsVersion,
  type Scenario,
  type ScenarioResult,
  type Step,
} from '../../standins/irods-rule-engine/scenario.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

// The Python rules' side of "OMERO both ways": metadata changes on registered objects are
// reported, and data OMERO reads in place (ln_s) is protected from renames and removals by
// non-administrators; what an administrator does anyway is reported.

const CONTINUE = 5_000_000;
const CAT_NO_ACCESS_PERMISSION = -818_000;
const LAB = '/tempZone/home/lab';
const TREE = `${LAB}/run1`; // expanded from run1.zip, registered in OMERO in place
const IMAGE = `${TREE}/images/a.tiff`;
const UPLOADED = `${LAB}/run2`; // registered by upload: OMERO has its own copy
const PARTNER = `${LAB}/run3`; // registered in place in another server than the agent's default one
const PARTNER_IMAGE = `${PARTNER}/c.tiff`;

/** The AVUs the agent's omero step leaves (src/omero/registration-avus.ts). */
const CATALOG = {
  collections: {
    [LAB]: [],
    [TREE]: [
      ['irods_omero_agent::omero_mode', 'ln_s', ''],
      ['irods_omero_agent::omero_server', 'omero.example.org:4064', ''],
    ],
    [`${TREE}/images`]: [],
    [UPLOADED]: [['irods_omero_agent::omero_mode', 'upload', '']],
    [PARTNER]: [
      ['irods_omero_agent::omero_mode::partner', 'ln_s', ''],
      ['irods_omero_agent::omero_server::partner', 'omero.partner.org:4064', ''],
      ['irods_omero_agent::omero_mode', 'upload', ''],
    ],
  },
  data_objects: {
    [IMAGE]: [
      ['irods_omero_agent::omero_image_id', '1203', 'image:51'],
      ['omero.image.name', 'a.tiff', 'image:51'],
    ],
    [`${TREE}/transfer.xml`]: [],
    [`${TREE}/images/plain.txt`]: [],
    [`${UPLOADED}/b.tiff`]: [['irods_omero_agent::omero_image_id', '1300', 'image:60']],
    [PARTNER_IMAGE]: [
      ['irods_omero_agent::omero_image_id::partner', '77', 'image:61'],
      ['irods_omero_agent::omero_image_id', '1400', 'image:61'],
    ],
    [`${PARTNER}/notes.txt`]: [['irods_omero_agent::omero_imagexid', '1', '']],
  },
};

interface AgentEvent {
  type: string;
  data: Record<string, unknown> & { logical_path: string; user: string };
}

let secret: string;
let receiver: WebhookReceiver;
let version: IrodsVersion = '5.0.2';

beforeEach(async () => {
  secret = `whsec_${randomBytes(24).toString('base64')}`;
  receiver = await startWebhookReceiver({ secret });
});
afterEach(async () => {
  await receiver.close();
});

const run = (steps: Step[], extra: Partial<Scenario> = {}, config: Record<string, unknown> = {}): Promise<ScenarioResult> =>
  runScenario({
    config: { agent_url: receiver.url, watch: [LAB], retry_times: 3, timeout_seconds: 3, ignore_users: ['omero_agent'], ...config },
    secret,
    catalog: CATALOG,
    steps: [...steps, runDelayServer],
    ...extra,
    server: { version, ...extra.server },
  });

const events = (): AgentEvent[] => receiver.requests.filter((r) => r.verifyError === undefined).map((r) => r.event as AgentEvent);

const outcomes = (r: ScenarioResult): unknown[] => r.steps.filter((s) => s.op !== 'delay_server').map((s) => s.refused ?? 'done');

for (const v of IRODS_VERSIONS) {
  describe(`on iRODS ${v}`, () => {
    beforeEach(() => {
      version = v;
    });

    describe('metadata changes on registered objects', () => {
      it('imeta on a registered image file: one metadata.changed event naming the object, the user and the attributes, however many calls', async () => {
        const r = await run([
          ...imeta(['add', '-d', IMAGE, 'stain', 'DAPI']),
          ...imeta(['set', '-d', IMAGE, 'stain', 'Hoechst']),
          ...imeta(['add', '-d', IMAGE, 'operator', 'alice']),
        ]);
        expect(r.peps.every((p) => p.returned === CONTINUE)).toBe(true);
        expect(events().map((e) => [e.type, e.data.logical_path, e.data.entity_type, e.data.user, e.data.pep])).toEqual([
          ['metadata.changed', IMAGE, 'data_object', 'alice', 'pep_api_mod_avu_metadata_post'],
        ]);
        expect(events()[0]!.data.attributes).toEqual(['stain']);
      });

      it('the atomic metadata API (HTTP API modify_metadata) on a registered collection is reported', async () => {
        await run([
          {
            op: 'atomic_metadata',
            request: { entity_name: TREE, entity_type: 'collection', operations: [{ operation: 'add', attribute: 'project', value: 'P1' }] },
          },
        ]);
        expect(events().map((e) => [e.type, e.data.logical_path, e.data.entity_type, e.data.pep])).toEqual([
          ['metadata.changed', TREE, 'collection', 'pep_api_atomic_apply_metadata_operations_post'],
        ]);
      });

      it('reports nothing for objects OMERO does not know, the agent\'s own changes, its own attributes, or unwatched paths', async () => {
        await run([
          ...imeta(['add', '-d', `${TREE}/images/plain.txt`, 'stain', 'DAPI']),
          ...imeta(['add', '-d', IMAGE, 'stain', 'DAPI'], { user: 'omero_agent' }),
          ...imeta(['set', '-d', IMAGE, 'irods_omero_agent::status', 'expanded']),
          ...imeta(['add', '-d', '/tempZone/home/other/x.tiff', 'stain', 'DAPI']),
          ...imeta(['add', '-R', 'demoResc', 'stain', 'DAPI']),
        ]);
        expect(events()).toEqual([]);
      });
    });

    describe('data registered in OMERO in place', () => {
      it('refuses a non-administrator removing or renaming a registered image file or its tree, with a message the client shows', async () => {
        const r = await run([...irm(IMAGE), ...imv(IMAGE, `${LAB}/elsewhere.tiff`), ...irmColl(TREE), ...imvColl(TREE, `${LAB}/moved`), ...irmColl(LAB)]);
        expect(outcomes(r)).toEqual(Array(5).fill(CAT_NO_ACCESS_PERMISSION));
        expect(r.catalog.data_objects).toHaveProperty([IMAGE]);
        expect(r.client_errors.map((e) => e.code)).toEqual(Array(5).fill(CAT_NO_ACCESS_PERMISSION));
        expect(r.client_errors[0]!.message).toContain(`${IMAGE} is registered in OMERO in place`);
        expect(r.client_errors[0]!.message).toContain('irods-omero-agent omero unregister');
        expect(events()).toEqual([]);
      });

      it('protects what another OMERO server registered in place (its AVUs carry the server name), and only that', async () => {
        const r = await run([...irm(PARTNER_IMAGE), ...imvColl(PARTNER, `${LAB}/run3-moved`), ...irm(`${PARTNER}/notes.txt`)]);
        expect(outcomes(r)).toEqual([CAT_NO_ACCESS_PERMISSION, CAT_NO_ACCESS_PERMISSION, 'done']);
        expect(r.client_errors[0]!.message).toContain(`${PARTNER_IMAGE} is registered in OMERO in place`);
      });

      it('lets anything else through: files OMERO does not read, trees registered by upload, paths outside watched collections', async () => {
        const r = await run([
          ...irm(`${TREE}/images/plain.txt`),
          ...irm(`${TREE}/transfer.xml`),
          ...irm(`${UPLOADED}/b.tiff`),
          ...imvColl(UPLOADED, `${LAB}/run2-moved`),
        ]);
        expect(outcomes(r)).toEqual(['done', 'done', 'done', 'done']);
        expect(r.client_errors).toEqual([]);
      });

      it('lets an administrator through and reports what happened, so the agent can mark the registration broken', async () => {
        const r = await run([...irm(IMAGE, { admin: true, user: 'rods' }), ...imvColl(TREE, `${LAB}/moved`, { admin: true, user: 'rods' })]);
        expect(outcomes(r)).toEqual(['done', 'done']);
        expect(events().map((e) => [e.type, e.data.logical_path, e.data.operation, e.data.entity_type, e.data.destination_logical_path ?? null])).toEqual([
          ['registered_data.changed', IMAGE, 'removed', 'data_object', null],
          ['registered_data.changed', TREE, 'renamed', 'collection', `${LAB}/moved`],
        ]);
      });

      it('after omero unregister (the registration AVUs gone from the tree), lets a non-administrator rename and remove it', async () => {
        const strip = (avus: string[][]) => avus.filter(([attribute]) => !attribute!.startsWith('irods_omero_agent::omero_'));
        const unregistered = {
          collections: Object.fromEntries(Object.entries(CATALOG.collections).map(([path, avus]) => [path, strip(avus)])),
          data_objects: Object.fromEntries(Object.entries(CATALOG.data_objects).map(([path, avus]) => [path, strip(avus)])),
        };
        const r = await run([...imv(IMAGE, `${LAB}/elsewhere.tiff`), ...imvColl(TREE, `${LAB}/moved`)], { catalog: unregistered });
        expect(outcomes(r)).toEqual(['done', 'done']);
        expect(r.client_errors).toEqual([]);
        expect(events()).toEqual([]);
      });

      it('protect_registered false turns the refusal off; a catalog that cannot answer never refuses (fails open, logged)', async () => {
        const off = await run(irm(IMAGE), {}, { protect_registered: false });
        expect(outcomes(off)).toEqual(['done']);
        const broken = await run(irm(IMAGE), { server: { fail_genquery: true } });
        expect(outcomes(broken)).toEqual(['done']);
        expect(serverLog(broken).some((m) => m.includes('protection check failed') && m.includes('the operation was allowed'))).toBe(true);
      });

      it('keeps a site pre-PEP of core.py: its refusal stands, and ours still applies after it', async () => {
        const corePy = [
          'def pep_api_data_obj_unlink_pre(rule_args, callback, rei):',
          "    return -1 if str(rule_args[2].objPath).endswith('.lock') else 0",
          '',
          'import irods_omero_agent_rules',
          'irods_omero_agent_rules.install(globals())',
          '',
        ].join('\n');
        const r = await run([...irm(`${TREE}/images/x.lock`), ...irm(IMAGE), ...irm(`${TREE}/transfer.xml`)], { corePy });
        expect(outcomes(r)).toEqual([-1, CAT_NO_ACCESS_PERMISSION, 'done']);
      });
    });
  });
}
