import type { Config } from '../../config/index.js';
import { agentBaseUrl } from '../admin-client.js';
import { connectionFailure } from '../service-unreachable.js';
import { fail, ok, type CheckResult } from './checklist.js';

/** The running agent answers /readyz at AGENT_URL (where the CLI, and usually the rule, reach it). */
export async function checkAgent(config: Config): Promise<CheckResult> {
  const url = agentBaseUrl(config, undefined);
  const title = 'the agent answers and is ready';
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json().catch(() => ({}))) as { checks?: Record<string, unknown> };
    if (res.ok) return ok('agent', title, `${url}/readyz`);
    const down = Object.entries(body.checks ?? {})
      .filter(([, v]) => v === false)
      .map(([k]) => k);
    return fail('agent', title, `${url}/readyz answers HTTP ${res.status}${down.length ? ` (${down.join(', ')} down for the agent)` : ''}`, "see the agent's log (journalctl -u irods-omero-agent): it reaches PostgreSQL and Redis with its own settings");
  } catch (err) {
    return fail('agent', title, `the agent at ${url} (AGENT_URL) does not answer (${connectionFailure(err) ?? (err as Error).message})`, 'start it (systemctl start irods-omero-agent, docs/install.md), or set AGENT_URL to where it listens');
  }
}
