import { runCli } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';

/** `irods-omero-agent config check` in-process against an iRODS HTTP API (the stand-in), as rods. */
export async function runConfigCheck(irodsUrl: string, env: Record<string, string>, args: string[] = []): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env: { IRODS_HTTP_API_URL: irodsUrl, IRODS_USERNAME: 'rods', IRODS_PASSWORD: 'rods', AGENT_LOG_LEVEL: 'silent', ...env },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    exitCode: 0,
  };
  const code = await runCli(['config', 'check', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
