import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config/index.js';
import { landedEventBody, newWebhookId } from '../intake/rule-event.js';
import { signWebhook } from '../intake/webhook-signature.js';
import { AdminClientSetupError, AgentUnreachable, agentBaseUrl, exitCodeFor } from './admin-client.js';
import { ExitCode } from './exit-codes.js';
import { withConfig, type CliIo } from './io.js';
import { packageVersion } from './package-version.js';

/** The pep field of a hand-sent event: the agent records it, so the audit shows where it came from. */
export const HAND_SENT_PEP = 'irods-omero-agent events send';

function logicalPath(value: string): string {
  if (!/^\/[^/]+(\/[^/]+)+$/.test(value)) throw new InvalidArgumentError('expected an absolute logical path such as /tempZone/home/alice/run.zip');
  return value;
}

/** The archive's owner as iRODS reports it (an `own` ACL other than the agent's): who uploaded it. */
async function ownerOf(config: Config, lpath: string): Promise<{ user: string; zone: string }> {
  if (!config.irods.password) {
    throw new AdminClientSetupError('IRODS_PASSWORD', 'name the uploader with --user (or set IRODS_PASSWORD so the agent can ask iRODS who owns the archive)');
  }
  const [{ createIrodsClientFromConfig }, { createLogger }] = await Promise.all([import('./irods-from-config.js'), import('../logging/logger.js')]);
  const irods = createIrodsClientFromConfig(config, createLogger({ level: 'silent' }));
  try {
    const stat = await irods.dataObjects.stat(lpath);
    const owner = stat.permissions.find((p) => p.perm === 'own' && p.name !== config.irods.username);
    if (!owner) throw new AdminClientSetupError('--user', `iRODS names no owner of ${lpath} but the agent's account: name the uploader with --user`);
    return { user: owner.name, zone: owner.zone };
  } finally {
    await irods.close().catch(() => undefined);
  }
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

async function post(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(`${url}/v1/events`, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new AgentUnreachable(url, { cause: err });
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}

/** The exit code of the agent's answer: what the rule would make of it. */
function exitCodeOf(status: number): number {
  if (status >= 200 && status < 300) return ExitCode.ok;
  if (status === 401) return ExitCode.denied;
  if (status === 400 || status === 413) return ExitCode.usage;
  if (status === 503) return ExitCode.unavailable;
  return ExitCode.failure;
}

/** `HTTP 202: accepted, job 3f2c…` — the answer's own words, as the rules' log would show them. */
function answerLine(answer: Answer): string {
  const b = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as Record<string, unknown>;
  const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  const said = [text(b.status) || text(b.error), text(b.job_id) && `job ${text(b.job_id)}`, text(b.reason) || text(b.message)].filter(Boolean);
  return `HTTP ${answer.status}${said.length ? `: ${said.join(', ')}` : ''}`;
}

/**
 * `irods-omero-agent events send <logical-path>`: the event the Python rule would send for an
 * archive landing there, signed with the first AGENT_WEBHOOK_SECRETS secret and POSTed to the
 * agent: for testing an installation without uploading, and for re-sending an event by hand.
 */
export function registerEventsCommands(program: Command, io: CliIo): void {
  const events = program.command('events').description('send the events the iRODS rules send');
  events
    .command('send')
    .description('sign an event for an archive as the Python rule does (first AGENT_WEBHOOK_SECRETS secret) and POST it to the agent; prints the answer')
    .argument('<logical-path>', 'the archive, e.g. /tempZone/home/alice/run.zip', logicalPath)
    .option('--user <name>', "the uploader (default: the archive's owner, asked of iRODS)")
    .option('--zone <zone>', "the uploader's zone (default: the archive's zone)")
    .option('--url <url>', "the agent's base URL (default AGENT_URL, else http://AGENT_HOST:AGENT_PORT)")
    .option('--json', 'print the answer as JSON ({status, body, webhook_id})')
    .action(withConfig(io, async (config, lpath: string, opts: { user?: string; zone?: string; url?: string; json?: boolean }) => {
      try {
        const secret = config.webhook.secrets[0];
        if (!secret) throw new AdminClientSetupError('AGENT_WEBHOOK_SECRETS', 'AGENT_WEBHOOK_SECRETS is empty: there is no secret to sign the event with');
        const url = agentBaseUrl(config, opts.url);
        const who = opts.user ? { user: opts.user, zone: opts.zone } : await ownerOf(config, lpath);
        const body = landedEventBody({ logicalPath: lpath, user: who.user, userZone: opts.zone ?? who.zone, pep: HAND_SENT_PEP });
        const webhookId = newWebhookId();
        const headers = {
          'content-type': 'application/json',
          'user-agent': `irods-omero-agent-cli/${packageVersion()}`,
          ...signWebhook(secret, webhookId, new Date(), body),
        };
        const answer = await post(url, headers, body);
        if (opts.json) io.out(JSON.stringify({ status: answer.status, body: answer.body, webhook_id: webhookId }));
        else io.out(answerLine(answer));
        io.exitCode = exitCodeOf(answer.status);
      } catch (err) {
        if (!(err instanceof AgentUnreachable || err instanceof AdminClientSetupError)) throw err;
        io.err(`error: ${err.message}`);
        io.exitCode = exitCodeFor(err);
      }
    }));
}
