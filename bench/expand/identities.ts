import { loadConfig } from '../../src/config/index.js';
import { createIrodsClientFromConfig } from '../../src/cli/irods-from-config.js';
import type { IrodsClient } from '../../src/irods/types.js';
import { createLogger } from '../../src/logging/logger.js';

/** Who uploads in the bench (a scientist) and who expands (the agent's rodsadmin account). */
export const ALICE = { name: 'alice', password: 'alice-bench-pass' } as const;
export const AGENT_ACCOUNT = { name: 'rods', password: 'rods' } as const;

const silent = createLogger({ level: 'silent' });

/** A client with the agent's production tuning (the one Config's defaults), for any account. */
export function clientFor(baseUrl: string, account: { name: string; password: string }): IrodsClient {
  const config = loadConfig({ IRODS_HTTP_API_URL: baseUrl, IRODS_USERNAME: account.name, IRODS_PASSWORD: account.password });
  return createIrodsClientFromConfig(config, silent);
}
