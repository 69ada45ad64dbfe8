/**
 * `make demo`: the whole job end to end on one machine, no Docker. Starts the iRODS HTTP API
 * stand-in and the agent (`irods-omero-agent start`, as a real process, on the local PostgreSQL
 * and Redis), uploads three OMERO transfer archives into a watched collection as a scientist
 * (omero-cli-transfer's test archives when they are there, else archives the project makes with
 * its own test-archive code), lets the project's Python rule (under the rule-engine stand-in)
 * deliver the events exactly as iRODS would, waits for the jobs, prints what the scientist sees
 * in iRODS and what an admin sees with `jobs show`, and cleans everything up; with --keep it
 * leaves the stack running until Ctrl-C and says how to reach it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { AGENT_NODE_FLAGS } from '../src/cli/node-flags.js';
import { collectionAvus, createIrodsClient, dataObjectAvus, dataObjectsUnder, dataObjectPathsWithAttribute } from '../src/irods/index.js';
import type { IrodsClient } from '../src/irods/types.js';
import { dropDatabase } from '../src/store/database.js';
import { startIrodsStandin } from '../test/standins/irods-http-api/index.js';
import { iput, runDelayServer, runScenario, serverLog } from '../test/standins/irods-rule-engine/scenario.js';
import { writeDemoArchives } from '../test/support/archives/transfer-archives.js';
import { deleteKeysWithPrefix } from '../test/support/redis.js';

const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const PG = { host: '127.0.0.1', port: 5432 };
const REDIS = { host: '127.0.0.1', port: 6379 };
const here = path.dirname(fileURLToPath(import.meta.url));
const root = [path.resolve(here, '..'), path.resolve(here, '../..')].find((d) => existsSync(path.join(d, 'package.json'))) as string;
const FIXTURES = process.env['DEMO_FIXTURES'] ?? path.resolve(root, '../shared/fixtures/omero-cli-transfer');
/** omero-cli-transfer's test archives (ome/omero-cli-transfer, test/data; README, Demo), when they are there. */
const FIXTURE_ARCHIVES = ['valid_single_project.zip', 'valid_single_image.tar', 'incomplete_project.zip'];
const KEEP = process.argv.includes('--keep');

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2_000 }, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function preflight(): Promise<void> {
  const missing: string[] = [];
  if (!(await answers(PG.host, PG.port))) missing.push(`PostgreSQL on ${PG.host}:${PG.port}`);
  if (!(await answers(REDIS.host, REDIS.port))) missing.push(`Redis on ${REDIS.host}:${REDIS.port}`);
  if (missing.length) {
    throw new Error(`${missing.join(' and ')} not answering. Start them with \`make services\` (it installs them from Debian's packages if needed), then run \`make demo\` again.`);
  }
}

/** The archives to upload: omero-cli-transfer's when all are there, else the project's own, made now in `work`. */
async function demoArchives(work: string): Promise<{ files: string[]; origin: string }> {
  const fixtures = FIXTURE_ARCHIVES.map((name) => path.join(FIXTURES, name));
  if (fixtures.every((f) => existsSync(f))) return { files: fixtures, origin: `omero-cli-transfer's test archives in ${FIXTURES}` };
  const made = await writeDemoArchives(work);
  return {
    files: [made.project, made.images, made.incomplete],
    origin: `archives made by the project's test-archive code (transfer.xml and OME-TIFFs; ${FIXTURES} has none; DEMO_FIXTURES names another folder)`,
  };
}

function humanBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

async function printTree(irods: IrodsClient, target: string): Promise<void> {
  say(`  ${target}/`);
  for (const f of await dataObjectsUnder(irods.query, target)) {
    say(`    ${f.lpath.slice(target.length + 1).padEnd(64)} ${humanBytes(f.size).padStart(10)}  ${f.checksum}`);
  }
}

async function printAccess(irods: IrodsClient, target: string): Promise<void> {
  const stat = await irods.collections.stat(target);
  const acl = stat.permissions.map((p) => `${p.name}:${p.perm}`).join('  ');
  say(`  ils -A ${target}:  ${acl}${stat.inheritanceEnabled ? '  (inheritance on)' : ''}`);
}

function printAvus(avus: readonly { attribute: string; value: string; units?: string | undefined }[], shown: number): void {
  for (const a of avus.slice(0, shown)) say(`    ${a.attribute} = ${a.value}${a.units ? `   [${a.units}]` : ''}`);
  if (avus.length > shown) say(`    … and ${avus.length - shown} more`);
}

/** What the expanded collection itself says: project and dataset names, key-value pairs, summary, provenance. */
async function printCollectionMetadata(irods: IrodsClient, target: string): Promise<void> {
  const avus = await collectionAvus(irods.query, target, 'omero.');
  const first = (a: { attribute: string }) => (/\.(name|description)$/.test(a.attribute) ? 0 : a.attribute.startsWith('omero.map.') ? 1 : a.attribute.startsWith('omero.summary.') ? 2 : 3);
  say(`  imeta ls -C ${target}   (the collection: ${avus.length} AVUs)`);
  printAvus([...avus].sort((a, b) => first(a) - first(b)), 18);
}

/** The OME metadata of the first image file, as `imeta ls -d` shows it. */
async function printImageMetadata(irods: IrodsClient, target: string): Promise<void> {
  const [lpath] = await dataObjectPathsWithAttribute(irods.query, target, 'omero.image.id');
  if (!lpath) return;
  const avus = await dataObjectAvus(irods.query, lpath, 'omero.');
  say(`  imeta ls -d ${lpath}   (OME metadata, ${avus.length} AVUs)`);
  printAvus(avus, 14);
}

async function printStatus(irods: IrodsClient, lpath: string): Promise<void> {
  say(`  imeta ls -d ${lpath}`);
  for (const a of await dataObjectAvus(irods.query, lpath, 'irods_omero_agent::')) say(`    ${a.attribute} = ${a.value}`);
}

/** `irods-omero-agent jobs show <job>` as an admin runs it, against the demo's agent. */
function jobsShow(agentUrl: string, token: string, jobId: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, path.join(root, 'dist/src/cli/main.js'), 'jobs', 'show', jobId.slice(0, 8), '--audit', '5'], {
      env: { PATH: process.env['PATH'] ?? '', AGENT_URL: agentUrl, AGENT_ADMIN_TOKEN: token },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.once('error', reject);
    child.once('close', () => resolve(out));
  });
}

/** --keep: everything stays up until Ctrl-C; say where it is and how to use it. */
async function keepRunning(lines: readonly string[]): Promise<void> {
  say();
  for (const line of lines) say(line);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  say();
}

async function main(): Promise<void> {
  await preflight();
  const run = `${process.pid}-${randomBytes(2).toString('hex')}`;
  const work = mkdtempSync(path.join(tmpdir(), 'ioa-demo-'));
  const databaseUrl = `postgres://postgres@${PG.host}:${PG.port}/irods_omero_agent_demo_${run.replace('-', '_')}`;
  const queuePrefix = `ioa-demo-${run}`;
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const adminToken = randomBytes(24).toString('hex');
  // Undone in reverse order: the agent stops before its database and queues go away.
  const cleanups: (() => Promise<void>)[] = [];
  let agent: ChildProcess | undefined;

  try {
    const { files, origin } = await demoArchives(work);
    say('1. Starting the iRODS HTTP API stand-in (zone tempZone, rodsadmin rods/rods)');
    const standin = await startIrodsStandin({ vaultDir: path.join(work, 'vault') });
    cleanups.push(() => standin.close());
    const rods = createIrodsClient({ baseUrl: standin.baseUrl, username: 'rods', password: 'rods', admin: true });
    cleanups.push(() => rods.close());
    await rods.users.createUser('alice', { zone: 'tempZone', userType: 'rodsuser' });
    await rods.users.setPassword('alice', 'alice-demo-pass', { zone: 'tempZone' });
    const alice = createIrodsClient({ baseUrl: standin.baseUrl, username: 'alice', password: 'alice-demo-pass' });
    cleanups.push(() => alice.close());
    const watched = '/tempZone/home/alice/omero-archives';
    await alice.collections.create(watched);
    // The archives were packed by OMERO user root of group system: map them to iRODS people.
    await rods.users.createUser('carol', { zone: 'tempZone', userType: 'rodsuser' });
    await rods.users.createGroup('imaging-lab');
    await rods.users.addToGroup('carol', 'imaging-lab', { zone: 'tempZone' });
    const userMap = path.join(work, 'user-map.yaml');
    writeFileSync(userMap, 'users:\n  root: carol\ngroups:\n  system: imaging-lab\n');
    say(`   ${standin.baseUrl}; user alice; watched collection ${watched}`);
    say('   user mapping: OMERO user root → iRODS user carol, OMERO group system → iRODS group imaging-lab');

    const port = await freePort();
    const agentUrl = `http://127.0.0.1:${port}`;
    mkdirSync(path.join(root, '.tmp'), { recursive: true });
    const logFile = path.join(root, '.tmp', 'demo-agent.log');
    say(`2. Starting the agent: irods-omero-agent start (log: ${logFile})`);
    const log = openSync(logFile, 'w');
    agent = spawn(process.execPath, [...AGENT_NODE_FLAGS, path.join(root, 'dist/src/cli/main.js'), 'start'], {
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        AGENT_DATABASE_URL: databaseUrl,
        AGENT_REDIS_URL: `redis://${REDIS.host}:${REDIS.port}`,
        AGENT_QUEUE_PREFIX: queuePrefix,
        AGENT_PORT: String(port),
        AGENT_WEBHOOK_SECRETS: secret,
        AGENT_ADMIN_TOKENS: `operator:${adminToken}`,
        AGENT_WATCH: watched,
        AGENT_USER_MAP: userMap,
        AGENT_DEBOUNCE_SECONDS: '1',
        AGENT_STABLE_SECONDS: '1',
        AGENT_SWEEP_INTERVAL_SECONDS: '0',
        AGENT_LOG_LEVEL: 'info',
        IRODS_HTTP_API_URL: standin.baseUrl,
        IRODS_USERNAME: 'rods',
        IRODS_PASSWORD: 'rods',
      },
    });
    const exited = new Promise<number | null>((resolve) => agent?.once('exit', resolve));
    cleanups.push(() => dropDatabase(databaseUrl));
    cleanups.push(() => deleteKeysWithPrefix(`redis://${REDIS.host}:${REDIS.port}`, queuePrefix));
    cleanups.push(async () => {
      agent?.kill('SIGTERM');
      await exited;
    });
    await until('the agent to be ready', async () => ((await fetch(`${agentUrl}/readyz`)).ok ? true : undefined), 30_000);
    say(`   ready at ${agentUrl}`);

    say(`3. Uploading the archives as alice (what \`omero transfer pack\` + a save-as into iRODS leave behind): ${origin}`);
    const landed: { lpath: string; size: number }[] = [];
    for (const local of files) {
      const { size } = await stat(local);
      const lpath = `${watched}/${path.basename(local)}`;
      await alice.dataObjects.writeStream(lpath, createReadStream(local), { size });
      landed.push({ lpath, size });
      say(`   iput ${path.basename(local)} → ${lpath} (${humanBytes(size)})`);
    }

    say('4. The Python rule (rules/python) fires on each upload and its delayed rule POSTs a signed event');
    const result = await runScenario({
      config: { agent_url: `${agentUrl}/v1/events`, watch: [watched], delay_seconds: 1, retry_interval_seconds: 5, retry_times: 5, timeout_seconds: 5 },
      secret,
      steps: [
        ...landed.flatMap(({ lpath, size }) => iput(lpath, { user: 'alice', size })),
        runDelayServer,
      ],
    });
    for (const line of serverLog(result)) say(`   serverLog: ${line}`);

    say('5. Waiting for the jobs (inspect → expand → permissions → metadata → finalize)');
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    cleanups.push(() => db.end());
    const jobs = await until(
      'the jobs to finish',
      async () => {
        const { rows } = await db.query<{ id: string; path: string; state: string; error_message: string | null; target_path: string | null; flags: string[] }>(
          `SELECT j.id, a.logical_path AS path, j.state, j.error_message, j.target_path, j.flags FROM jobs j JOIN archives a ON a.id = j.archive_id ORDER BY a.logical_path`,
        );
        return rows.length === landed.length && rows.every((r) => ['succeeded', 'failed', 'cancelled'].includes(r.state)) ? rows : undefined;
      },
      120_000,
    );
    for (const job of jobs) say(`   job ${job.id}: ${job.path} → ${job.state}${job.flags.length ? ` (flagged: ${job.flags.join(', ')})` : ''}${job.error_message ? ` (${job.error_message})` : ''}`);

    say('6. What the scientist sees in iRODS');
    for (const job of jobs) {
      say();
      await printStatus(rods, job.path);
      if (job.target_path) {
        await printTree(rods, job.target_path);
        await printAccess(rods, job.target_path);
        await printCollectionMetadata(rods, job.target_path);
        await printImageMetadata(rods, job.target_path);
      }
    }

    const shown = jobs.find((j) => j.flags.length) ?? jobs[0];
    if (shown) {
      say();
      say(`7. What an admin sees: irods-omero-agent jobs show ${shown.id.slice(0, 8)}   (a job id, or its first 8 characters)`);
      for (const line of (await jobsShow(agentUrl, adminToken, shown.id)).trimEnd().split('\n')) say(`   ${line}`);
    }
    if (jobs.some((j) => j.state !== 'succeeded')) process.exitCode = 1;

    if (KEEP) {
      await keepRunning([
        'The stack keeps running (--keep). Press Ctrl-C to stop it and clean up.',
        `  agent        ${agentUrl}   (admin API, /docs, /metrics, /admin/queues)`,
        `  admin token  ${adminToken}   (operator)`,
        `  iRODS API    ${standin.baseUrl}   (rods/rods, alice/alice-demo-pass)`,
        '  try:',
        `    export AGENT_URL=${agentUrl} AGENT_ADMIN_TOKEN=${adminToken}`,
        '    npx irods-omero-agent jobs list',
        `    curl -H "Authorization: Bearer $AGENT_ADMIN_TOKEN" ${agentUrl}/v1/jobs`,
        `    npx irods-omero-agent events send ${landed[0]?.lpath ?? `${watched}/x.zip`} --user alice   (with AGENT_WEBHOOK_SECRETS=${secret})`,
      ]);
    } else {
      say();
      say('`make demo DEMO_ARGS=--keep` leaves all this running and prints the agent\'s URL and an admin token to explore it.');
    }
  } finally {
    say(`8. Cleaning up (agent, stand-in, demo database, queue keys, temp files); the agent's log stays in .tmp/demo-agent.log`);
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => say(`   cleanup: ${(err as Error).message}`));
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
