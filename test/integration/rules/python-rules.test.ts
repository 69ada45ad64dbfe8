import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RULES_PATH,
  httpApiChunkedWrite,
  icp,
  imv,
  iput,
  ireg,
  prcParallelPut,
  prcPut,
  runDelayServer,
  runScenario,
  IRODS_VERSIONS,
  type IrodsVersion,
  s3PutObject,
  serverLog,
  type Scenario,
  type ScenarioResult,
  type Step,
} from '../../standins/irods-rule-engine/scenario.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

// The Python rules (rules/python/irods_omero_agent_rules.py) under the rule-engine stand-in,
// POSTing for real to a receiver that verifies Standard Webhooks signatures.

const CONTINUE = 5_000_000;
const LAB = '/tempZone/home/lab';
const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

interface LandedEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown> & { zone: string; logical_path: string; user: string; pep: string };
}

let secret: string;
let receiver: WebhookReceiver;

beforeEach(async () => {
  secret = newSecret();
  receiver = await startWebhookReceiver({ secret });
});
afterEach(async () => {
  await receiver.close();
});

const config = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  agent_url: receiver.url,
  watch: [LAB],
  delay_seconds: 10,
  retry_interval_seconds: 30,
  retry_times: 5,
  timeout_seconds: 3,
  ...overrides,
});

// Every test runs under each iRODS version the stand-in models (set by the describe around them).
let currentVersion: IrodsVersion = '5.0.2';
const scenario = (s: Scenario): Promise<ScenarioResult> => runScenario({ ...s, server: { version: currentVersion, ...s.server } });

const run = (steps: Step[], extra: Partial<Scenario> = {}): Promise<ScenarioResult> =>
  scenario({ config: config(), secret, steps, ...extra });

const events = (): LandedEvent[] =>
  receiver.requests.filter((r) => r.verifyError === undefined).map((r) => r.event as LandedEvent);

const everyPepContinued = (r: ScenarioResult): void => {
  expect(r.peps.length).toBeGreaterThan(0);
  for (const call of r.peps) expect(call, call.pep).toMatchObject({ returned: CONTINUE });
};

/** An agent that accepts the request and answers one byte every 200 ms, forever. */
async function startTrickleServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const timer = setInterval(() => socket.write('H'), 200);
    socket.once('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

for (const version of IRODS_VERSIONS) {
  describe(`Python rules on iRODS ${version}`, () => {
    beforeEach(() => {
      currentVersion = version;
    });

    describe('Python rules: every route by which an archive lands', () => {
      it('queues the POST in the delay server (INST_NAME, PLUSET, doubling EF, low priority) as the uploader, instead of posting from the PEP', async () => {
        const r = await run(iput(`${LAB}/run1.zip`, { size: 2048 }));
        everyPepContinued(r);
        expect(receiver.requests).toHaveLength(0);
        expect(r.queue).toHaveLength(1);
        const rule = r.queue[0]!;
        expect(rule.instance).toBe('irods_rule_engine_plugin-python-instance');
        expect(rule.hints).toContain('<PLUSET>10s</PLUSET>');
        expect(rule.frequency).toBe('30s DOUBLE UNTIL SUCCESS OR 5 TIMES');
        expect(rule.priority).toBeLessThan(5); // the delay server takes higher numbers first; 5 is the default
        expect(rule.user).toBe('alice');
        expect(rule.name).not.toContain(secret.slice(6)); // the secret is read at send time, never queued
      });

      it('takes the uploader from the PEP context (rule_args[1].map()), never from an RsComm the PEP does not get', async () => {
        // The stand-in hands rule_args[1] as the plugin does: a PluginContext with map() and
        // rule_results only. Reading .clientUser from it gave user null and a 400 from the agent.
        const r = await run([...iput(`${LAB}/who.zip`, { user: 'bob', zone: 'labZone' }), runDelayServer]);
        everyPepContinued(r);
        expect(events().map((e) => [e.data.user, e.data.user_zone, e.data.client_user])).toEqual([['bob', 'labZone', 'bob#labZone']]);
        expect(r.executions.map((e) => e.user)).toEqual(['bob']); // the delayed rule runs as who queued it
      });

      it('queues nothing for a connection without a user, and says why once', async () => {
        const r = await run([...iput(`${LAB}/a.zip`, { user: '' }), ...iput(`${LAB}/b.zip`, { user: '' }), runDelayServer]);
        everyPepContinued(r);
        expect(r.queue).toHaveLength(0);
        expect(r.executions).toHaveLength(0);
        expect(serverLog(r).filter((m) => m.includes('no user for'))).toHaveLength(1);
      });

      it('reads a replica_close JSON buffer by its length, also when it is not NUL-terminated', async () => {
        const r = await run([
          { op: 'open', api: 'replica_open', path: `${LAB}/raw.zip`, process: 'c1', as: 'c1' },
          { op: 'close', api: 'replica_close', fd: 'c1', terminated: false, process: 'c1' },
          runDelayServer,
        ]);
        everyPepContinued(r);
        expect(serverLog(r).filter((m) => m.includes('failed'))).toEqual([]);
        expect(events().map((e) => [e.data.logical_path, e.data.pep])).toEqual([[`${LAB}/raw.zip`, 'pep_api_replica_close_post']]);
      });

      it('a logical path that is not UTF-8 is logged once and never fails the upload', async () => {
        const latin1 = Buffer.from(`${LAB}/caf\u00e9.zip`, 'latin1').toString('hex');
        const r = await run([...iput(`${LAB}/x.zip`, { path_bytes_hex: latin1 }), ...iput(`${LAB}/y.zip`, { path_bytes_hex: latin1 }), runDelayServer]);
        everyPepContinued(r);
        expect(r.queue).toHaveLength(0);
        expect(serverLog(r).filter((m) => m.includes('not UTF-8'))).toHaveLength(1);
      });

      it('iput: one signed data_object.landed event with size, checksum and resource', async () => {
        const r = await run([
          ...iput(`${LAB}/run1.zip`, { size: 2048, checksum: 'sha2:q83vEjRWeJA=', resource: 'demoResc' }),
          runDelayServer,
        ]);
        everyPepContinued(r);
        expect(r.queue).toHaveLength(0);
        expect(receiver.requests).toHaveLength(1);
        const request = receiver.requests[0]!;
        expect(request.verifyError).toBeUndefined();
        expect(request.headers['content-type']).toBe('application/json');
        expect(request.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
        expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
        const event = events()[0]!;
        expect(event.type).toBe('data_object.landed');
        expect(event.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(event.data).toEqual({
          zone: 'tempZone',
          logical_path: `${LAB}/run1.zip`,
          user: 'alice',
          user_zone: 'tempZone',
          client_user: 'alice#tempZone',
          pep: 'pep_api_data_obj_put_post',
          size: 2048,
          checksum: 'sha2:q83vEjRWeJA=',
          resource: 'demoResc',
        });
      });

      it('python-irodsclient small put: the close (found through the tracked L1 descriptor) raises one event', async () => {
        const r = await run([...prcPut(`${LAB}/small.tar`), runDelayServer]);
        everyPepContinued(r);
        expect(events().map((e) => [e.data.logical_path, e.data.pep])).toEqual([
          [`${LAB}/small.tar`, 'pep_api_data_obj_close_post'],
        ]);
      });

      it('python-irodsclient parallel put: secondary streams (update_status false) raise nothing, the main close one event', async () => {
        const r = await run([...prcParallelPut(`${LAB}/big.tar.gz`, 4), runDelayServer]);
        everyPepContinued(r);
        expect(r.executions).toHaveLength(1);
        expect(events().map((e) => e.data.pep)).toEqual(['pep_api_data_obj_close_post']);
      });

      it('HTTP API write in 8 chunks over two pooled connections: ONE event, with the API as proxy user', async () => {
        const r = await run([...httpApiChunkedWrite(`${LAB}/chunked.zip`, 8), runDelayServer]);
        everyPepContinued(r);
        expect(r.peps.filter((p) => p.pep === 'pep_api_replica_close_post')).toHaveLength(8);
        expect(events()).toHaveLength(1);
        expect(events()[0]!.data).toMatchObject({
          logical_path: `${LAB}/chunked.zip`,
          pep: 'pep_api_replica_close_post',
          user: 'alice',
          proxy_user: 'http_api#tempZone',
        });
      });

      it('a chunked upload longer than the window yields a few events, the last one sent after the last chunk', async () => {
        const steps: Step[] = [];
        for (let i = 0; i < 30; i++) {
          // One chunk a second, each on one of three pooled connections, the delay server running alongside.
          steps.push(...httpApiChunkedWrite(`${LAB}/slow.zip`, 1, [`http-${i % 3}`]), { op: 'delay_server', until_now: true });
        }
        steps.push(runDelayServer);
        const r = await run(steps);
        everyPepContinued(r);
        const lastChunkAt = Math.max(...r.steps.filter((s) => s.op === 'advance').map((s) => Number(s.now)));
        expect(events().length).toBeGreaterThanOrEqual(2);
        expect(events().length).toBeLessThanOrEqual(4);
        expect(Math.max(...r.executions.map((e) => e.at))).toBeGreaterThanOrEqual(lastChunkAt);
      });

      it('S3 API PutObject: one event through the S3 API proxy account', async () => {
        await run([...s3PutObject(`${LAB}/from-s3.tgz`), runDelayServer]);
        expect(events().map((e) => [e.data.pep, e.data.proxy_user])).toEqual([
          ['pep_api_replica_close_post', 's3_api#tempZone'],
        ]);
      });

      it('ireg: one event with the physical path and size; registering a collection raises none', async () => {
        await run([
          ...ireg(`${LAB}/in-place.zip`, { physical_path: '/data/scope/in-place.zip', size: 77 }),
          ...ireg(`${LAB}/folder.zip`, { collection: true }),
          runDelayServer,
        ]);
        expect(events().map((e) => e.data)).toEqual([
          expect.objectContaining({
            logical_path: `${LAB}/in-place.zip`,
            pep: 'pep_api_phy_path_reg_post',
            physical_path: '/data/scope/in-place.zip',
            size: 77,
          }),
        ]);
      });

      it('imv into a watched collection raises an event for the destination; out of it, or elsewhere, none', async () => {
        const r = await run([
          ...imv('/tempZone/home/alice/staging/a.zip', `${LAB}/a.zip`),
          ...imv(`${LAB}/b.zip`, '/tempZone/home/alice/b.zip'),
          ...imv('/tempZone/home/alice/c.zip', '/tempZone/home/alice/d.zip'),
          ...imv(`${LAB}/old.zip`, '/tempZone/trash/home/alice/old.zip'),
          runDelayServer,
        ]);
        everyPepContinued(r);
        expect(events().map((e) => e.data)).toEqual([
          expect.objectContaining({
            logical_path: `${LAB}/a.zip`,
            source_logical_path: '/tempZone/home/alice/staging/a.zip',
            pep: 'pep_api_data_obj_rename_post',
          }),
        ]);
      });

      it('icp into a watched collection raises an event for the copy', async () => {
        await run([...icp('/tempZone/home/alice/a.zip', `${LAB}/copy.zip`), runDelayServer]);
        expect(events().map((e) => [e.data.logical_path, e.data.source_logical_path, e.data.pep])).toEqual([
          [`${LAB}/copy.zip`, '/tempZone/home/alice/a.zip', 'pep_api_data_obj_copy_post'],
        ]);
      });

      it('ignores non-archives, unwatched collections, look-alike prefixes and read-only opens', async () => {
        const r = await run([
          ...iput(`${LAB}/notes.txt`),
          ...iput(`${LAB}/.zip`),
          ...iput('/tempZone/home/other/run.zip'),
          ...iput(`${LAB}-archive/run.zip`),
          { op: 'open', api: 'data_obj_open', path: `${LAB}/read.zip`, write: false, as: 'r' },
          { op: 'close', api: 'data_obj_close', fd: 'r' },
          runDelayServer,
        ]);
        everyPepContinued(r);
        expect(r.executions).toHaveLength(0);
        expect(receiver.requests).toHaveLength(0);
      });

      it('matches archive suffixes case-insensitively, including .tar.gz and .tgz', async () => {
        await run([
          ...iput(`${LAB}/A.ZIP`),
          ...iput(`${LAB}/b.Tar`),
          ...iput(`${LAB}/c.tar.gz`),
          ...iput(`${LAB}/d.tgz`),
          runDelayServer,
        ]);
        expect(events().map((e) => e.data.logical_path).sort()).toEqual(
          [`${LAB}/A.ZIP`, `${LAB}/b.Tar`, `${LAB}/c.tar.gz`, `${LAB}/d.tgz`].sort(),
        );
      });

      it('skips uploads by the users in ignore_users (the agent writing its own results)', async () => {
        await scenario({
          config: config({ ignore_users: ['omero_agent'] }),
          secret,
          steps: [...iput(`${LAB}/nested.zip`, { user: 'omero_agent' }), ...iput(`${LAB}/mine.zip`), runDelayServer],
        });
        expect(events().map((e) => e.data.user)).toEqual(['alice']);
      });

      it('carries a path naming a session variable ($objPath) through the delay queue intact', async () => {
        const odd = `${LAB}/price $objPath "q" ü.zip`;
        const r = await run([...iput(odd), runDelayServer]);
        expect(serverLog(r).join('\n')).not.toContain('failed');
        expect(events().map((e) => e.data.logical_path)).toEqual([odd]);
      });
    });

    describe('Python rules: the agent failing never reaches the user', () => {
      it('connection refused: retried with doubling pauses, then dropped, with the reason logged', async () => {
        const port = await closedPort();
        const r = await scenario({
          config: config({ agent_url: `http://127.0.0.1:${port}/v1/events`, retry_times: 4 }),
          secret,
          steps: [...iput(`${LAB}/run.zip`), runDelayServer],
        });
        everyPepContinued(r);
        expect(r.executions.map((e) => e.status < 0)).toEqual([true, true, true, true]);
        const at = r.executions.map((e) => e.at);
        expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual([30, 60, 120]);
        expect(r.queue).toHaveLength(0);
        expect(serverLog(r).filter((m) => m.includes('will retry'))).toHaveLength(4);
      });

      it('a hung agent holds a delay executor for timeout_seconds at most, also when it trickles bytes', async () => {
        const trickle = await startTrickleServer();
        try {
          const r = await scenario({
            config: config({ agent_url: `${trickle.url}/v1/events`, retry_times: 1, timeout_seconds: 1, connect_timeout_seconds: 1 }),
            secret,
            steps: [...iput(`${LAB}/run.zip`), runDelayServer],
          });
          everyPepContinued(r);
          expect(r.executions.map((e) => e.status < 0)).toEqual([true]);
          // Bounded: without the attempt's deadline the trickle would hold it until the test timed out.
          expect(r.executions[0]!.seconds).toBeLessThan(1 + 4);
          expect(serverLog(r).some((m) => m.includes('no answer within 1s'))).toBe(true);
        } finally {
          await trickle.close();
        }
      });

      it('circuit breaker: with the agent hung, only the first attempts wait; the rest return at once until a probe gets through', async () => {
        await receiver.close();
        // The first three requests hang (unanswered until the receiver closes), past any bound; the agent answers again afterwards.
        receiver = await startWebhookReceiver({ secret, hang: (n) => n < 3 });
        const paths = Array.from({ length: 8 }, (_, i) => `${LAB}/burst-${i}.zip`);
        const r = await scenario({
          config: config({ timeout_seconds: 1, connect_timeout_seconds: 1, retry_times: 6, breaker_threshold: 3, breaker_probe_seconds: 600 }),
          secret,
          steps: [...paths.flatMap((p) => iput(p)), runDelayServer],
        });
        everyPepContinued(r);
        // The breaker opened after three hung attempts: the later failed runs returned without a
        // connection, so only the three hung ones and the eight accepted ones ever arrived.
        expect(receiver.arrivals()).toBe(3 + paths.length);
        expect(r.executions.filter((e) => e.status < 0).length).toBeGreaterThan(3);
        expect(receiver.requests.filter((q) => q.status === 202).map((q) => (q.event as LandedEvent).data.logical_path).sort()).toEqual(paths.sort());
        expect(r.breaker).toBeNull(); // a probe that got an answer closed it
        expect(serverLog(r).filter((m) => m.includes('circuit breaker open'))).toHaveLength(1);
      });

      it('5xx and 429: retried with the same webhook-id until the agent accepts', async () => {
        await receiver.close();
        const statuses = [500, 429, 503];
        receiver = await startWebhookReceiver({ secret, respond: (n) => statuses[n] ?? 202 });
        const r = await scenario({ config: config(), secret, steps: [...iput(`${LAB}/run.zip`), runDelayServer] });
        expect(receiver.requests.map((q) => q.status)).toEqual([500, 429, 503, 202]);
        expect(receiver.requests.every((q) => q.verifyError === undefined)).toBe(true);
        expect(new Set(receiver.requests.map((q) => q.headers['webhook-id'])).size).toBe(1);
        expect(r.executions.map((e) => e.status < 0)).toEqual([true, true, true, false]);
        expect(r.queue).toHaveLength(0);
      });

      it('400: not retried (a retry cannot fix it), and logged', async () => {
        await receiver.close();
        receiver = await startWebhookReceiver({ secret, respond: () => 400 });
        const r = await scenario({ config: config(), secret, steps: [...iput(`${LAB}/run.zip`), runDelayServer] });
        expect(receiver.requests).toHaveLength(1);
        expect(r.executions.map((e) => e.status)).toEqual([0]);
        expect(serverLog(r).some((m) => m.includes('HTTP 400 (not retried)'))).toBe(true);
      });

      it('a PEP whose arguments throw still returns RULE_ENGINE_CONTINUE and logs the error', async () => {
        const peps = [
          'pep_api_data_obj_put_post',
          'pep_api_data_obj_open_post',
          'pep_api_replica_open_post',
          'pep_api_data_obj_close_pre',
          'pep_api_data_obj_close_post',
          'pep_api_phy_path_reg_post',
          'pep_api_data_obj_rename_post',
          'pep_api_data_obj_copy_post',
          'pep_api_mod_avu_metadata_post',
          'pep_api_atomic_apply_metadata_operations_post',
          'pep_api_data_obj_unlink_post',
          'pep_api_rm_coll_post',
        ];
        const r = await run(peps.map((pep) => ({ op: 'broken_pep', pep })));
        everyPepContinued(r);
        expect(r.peps.map((p) => p.pep)).toEqual(peps);
        expect(serverLog(r).filter((m) => m.includes('(the user operation is unaffected)'))).toHaveLength(peps.length);
      });

      it('a protecting pre PEP whose arguments throw lets the operation go ahead, and logs why', async () => {
        const peps = ['pep_api_data_obj_rename_pre', 'pep_api_data_obj_unlink_pre', 'pep_api_rm_coll_pre'];
        const r = await run(peps.map((pep) => ({ op: 'broken_pep', pep })));
        everyPepContinued(r);
        expect(serverLog(r).filter((m) => m.includes('(the operation was allowed)'))).toHaveLength(peps.length);
      });

      it('a failing delayExec (catalog down) is swallowed: the upload still succeeds', async () => {
        const r = await run([...iput(`${LAB}/run.zip`), ...prcPut(`${LAB}/p.zip`)], { server: { fail_delay_exec: true } });
        everyPepContinued(r);
        expect(r.steps.every((s) => !('failed_by' in s))).toBe(true);
        expect(serverLog(r).filter((m) => m.includes('CAT_SQL_ERR') || m.includes('-806000'))).toHaveLength(2);
      });

      it('an event too long for the delay queue (rule_name is varchar(2700)) is logged and skipped, not failed', async () => {
        const long = `${LAB}/${`${'n'.repeat(240)}/`.repeat(10)}run.zip`;
        const r = await run([...iput(long, { checksum: 'sha2:q83vEjRWeJA=' }), runDelayServer]);
        everyPepContinued(r);
        expect(r.executions).toHaveLength(0);
        expect(serverLog(r).some((m) => m.startsWith('irods_omero_agent: logical path too long'))).toBe(true);
        expect(serverLog(r).some((m) => m.includes('failed'))).toBe(false);
      });

      it('a missing or invalid configuration leaves the rules idle, not failing', async () => {
        const r = await scenario({
          config: { agent_url: 'ftp://nope', watch: [LAB] },
          steps: [...iput(`${LAB}/run.zip`), runDelayServer],
        });
        everyPepContinued(r);
        expect(r.executions).toHaveLength(0);
        expect(serverLog(r).some((m) => m.includes('rules idle until it is fixed'))).toBe(true);
      });
    });

    describe('Python rules: installation and secrets', () => {
      it('the shipped core.py.example installs every PEP', async () => {
        const example = readFileSync(path.join(path.dirname(RULES_PATH), 'core.py.example'), 'utf8');
        const r = await run([...prcPut(`${LAB}/p.zip`), runDelayServer], { corePy: example });
        everyPepContinued(r);
        expect(events()).toHaveLength(1);
      });

      it('core.py.example keeps the site policy working when the rule module is missing or broken', async () => {
        const example = readFileSync(path.join(path.dirname(RULES_PATH), 'core.py.example'), 'utf8');
        const corePy = [
          'def pep_api_data_obj_put_post(rule_args, callback, rei):',
          "    callback.writeLine('serverLog', 'site policy ran')",
          '    return 0',
          '',
          example,
        ].join('\n');
        const broken = path.join(mkdtempSync(path.join(tmpdir(), 'ioa-broken-')), 'irods_omero_agent_rules.py');
        writeFileSync(broken, 'def install(namespace:\n');
        const r = await run([...iput(`${LAB}/run.zip`), runDelayServer], { corePy, rulesPath: broken });
        expect(r.peps.map((p) => [p.pep, p.returned])).toEqual([['pep_api_data_obj_put_post', 0]]);
        expect(serverLog(r)).toEqual(['site policy ran']);
        expect(r.stderr).toContain('irods_omero_agent: rules NOT installed');
      });

      it('install() keeps an existing PEP of core.py: it runs first and keeps its return value', async () => {
        const corePy = [
          'def pep_api_data_obj_put_post(rule_args, callback, rei):',
          "    callback.writeLine('serverLog', 'site policy ran for ' + str(rule_args[2].objPath))",
          '    return 0',
          '',
          'import irods_omero_agent_rules',
          'irods_omero_agent_rules.install(globals())',
          '',
        ].join('\n');
        const r = await run([...iput(`${LAB}/run.zip`), runDelayServer], { corePy });
        expect(r.peps.map((p) => p.returned)).toEqual([0]);
        expect(serverLog(r)[0]).toBe(`site policy ran for ${LAB}/run.zip`);
        expect(events()).toHaveLength(1);
      });

      it('resolves the descriptor before the close when the open could not (msi_get_file_descriptor_info)', async () => {
        const r = await run([...prcPut(`${LAB}/p.zip`), ...s3PutObject(`${LAB}/s.zip`), runDelayServer], {
          server: { disabled_microservices: ['msi_get_open_data_obj_l1desc_index'] },
        });
        everyPepContinued(r);
        expect(events().map((e) => e.data.logical_path).sort()).toEqual([`${LAB}/p.zip`, `${LAB}/s.zip`]);
      });

      it('calls only microservices that exist in iRODS 4.3.5 and 5.0.2', async () => {
        const r = await run([
          ...iput(`${LAB}/a.zip`),
          ...prcPut(`${LAB}/b.zip`),
          ...httpApiChunkedWrite(`${LAB}/c.zip`, 2),
          ...iput(`${LAB}/a.zip`),
          runDelayServer,
        ], { server: { disabled_microservices: ['msi_get_open_data_obj_l1desc_index'] } });
        expect(r.microservices_called.sort()).toEqual(
          ['delayExec', 'msi_get_file_descriptor_info', 'msi_get_open_data_obj_l1desc_index', 'writeLine'].sort(),
        );
      });

      it('signs with every secret in the secret file, so the agent can rotate', async () => {
        const old = newSecret();
        const r = await scenario({
          config: config(),
          secret: `${old}\n${secret}`,
          steps: [...iput(`${LAB}/run.zip`), runDelayServer],
        });
        everyPepContinued(r);
        const request = receiver.requests[0]!;
        expect(request.headers['webhook-signature']?.split(' ')).toHaveLength(2);
        expect(request.verifyError).toBeUndefined();
      });
    });
  });
}
