import type { Config } from './config-types.js';

const MASK = '********';

/** A URL as it may be shown: its password, if any, masked. */
export function maskUrlPassword(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = MASK;
    return u.toString();
  } catch {
    return raw;
  }
}

/** The configuration as it may be printed or logged: every secret masked. */
export function describeConfig(config: Config): unknown {
  return {
    ...config,
    databaseUrl: maskUrlPassword(config.databaseUrl),
    redisUrl: maskUrlPassword(config.redisUrl),
    webhook: {
      ...config.webhook,
      secrets: config.webhook.secrets.map(() => MASK),
      nativeRuleTokens: config.webhook.nativeRuleTokens.map(() => MASK),
    },
    admin: {
      ...config.admin,
      tokens: config.admin.tokens.map((t) => ({ role: t.role, token: MASK })),
      client: { url: config.admin.client.url, token: config.admin.client.token === undefined ? undefined : MASK },
      metricsToken: config.admin.metricsToken === undefined ? undefined : MASK,
    },
    irods: { ...config.irods, password: config.irods.password === undefined ? undefined : MASK },
    // The CLI's environment may carry anything the admin passes through: names only.
    omero: {
      ...config.omero,
      servers: config.omero.servers.map((s) => ({ ...s, password: s.password === undefined ? undefined : MASK })),
      cliEnv: Object.keys(config.omero.cliEnv),
    },
  };
}

/** Settings that are valid but leave the agent unable to do its job; `config check` prints them. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.webhook.secrets.length === 0) warnings.push('AGENT_WEBHOOK_SECRETS is empty: every event will be refused (401)');
  if (config.watch.prefixes.length === 0) warnings.push('AGENT_WATCH is empty: every event will be ignored (no watched collection)');
  if (config.admin.tokens.length === 0) warnings.push('AGENT_ADMIN_TOKENS is empty: the admin API refuses every request');
  if (config.irods.password === undefined) warnings.push('IRODS_PASSWORD is not set: workers cannot reach iRODS');
  if (!config.omero.enabled) return warnings;
  const file = config.omero.serversFile;
  for (const server of config.omero.servers) {
    // Without a servers file, the warnings name the OMERO_* settings that describe the one server.
    const [password, mount] = file ? [`server '${server.name}' of ${file} has no password_file`, `server '${server.name}''s mount`] : ['OMERO_PASSWORD is not set', 'OMERO_IRODS_MOUNT'];
    if (server.password === undefined) warnings.push(`OMERO_ENABLED but ${password}`);
    if (server.irodsMount !== undefined) {
      const shown = server.irodsMountCollection;
      const unseen = config.watch.prefixes.filter((p) => p !== shown && !p.startsWith(`${shown}/`) && !shown.startsWith(`${p}/`));
      if (unseen.length) warnings.push(`${mount} shows ${shown} only: archives under ${unseen.join(', ')} cannot be registered in OMERO`);
    }
  }
  return warnings;
}
