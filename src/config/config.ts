import { z } from 'zod';
import { ConfigError } from './config-error.js';
import type { AdminRole, Config } from './config-types.js';
import { isForbiddenPassthrough, omeroCliEnvironment } from './omero-cli-environment.js';
import { collectEnv, type EnvLike } from './env-source.js';
import { OMERO_SERVER_NAME, omeroServers } from './omero-servers.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const words = (s: string): string[] => s.split(/[\s,]+/).filter(Boolean);

/** A whole number within bounds; the message says the bounds and what was given ("must be an integer 1-65535"). */
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => {
  const bounds = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `${min}-${max}`;
  return z
    .string()
    .default(String(def))
    .refine((raw) => /^\s*-?\d+\s*$/.test(raw) && Number(raw) >= min && Number(raw) <= max, `must be an integer ${bounds}`)
    .transform(Number);
};
const bool = (def: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
    .default(def ? 'true' : 'false')
    .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const logicalPrefix = z
  .string()
  .regex(/^\/[^/]+(\/[^/]+)*\/?$/, 'must be an absolute iRODS logical path such as /tempZone/home/lab')
  .transform((p) => p.replace(/\/+$/, ''));

const webhookSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must be a Standard Webhooks secret: whsec_ followed by base64');

const adminToken = z
  .string()
  .regex(/^((reader|operator):)?[\x21-\x7e]{16,}$/, 'must be [reader:|operator:]<token of at least 16 printable characters>')
  .transform((raw) => {
    const m = /^(reader|operator):(.*)$/.exec(raw);
    return m ? { role: m[1] as AdminRole, token: m[2] ?? '' } : { role: 'operator' as const, token: raw };
  });

const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL (${protocols.join(' or ')})`);

/** Every setting, by its environment name, with its default. */
const envSchema = z.object({
  AGENT_DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/irods_omero_agent'),
  AGENT_REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  AGENT_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('ioa'),
  AGENT_HOST: z.string().min(1).default('127.0.0.1'),
  AGENT_PORT: int(8080, 0, 65535),
  AGENT_BODY_LIMIT: int(64 * 1024, 1024, 16 * MiB),
  AGENT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  AGENT_WEBHOOK_SECRETS: z.string().default('').transform(words).pipe(z.array(webhookSecret)),
  AGENT_WEBHOOK_TOLERANCE_SECONDS: int(300, 1, 3600),
  AGENT_DEBOUNCE_SECONDS: int(10, 0, 3600),
  AGENT_ADMIN_TOKENS: z.string().default('').transform(words).pipe(z.array(adminToken)),
  AGENT_NATIVE_RULE_TOKENS: z
    .string()
    .default('')
    .transform(words)
    .pipe(z.array(z.string().regex(/^[\x21-\x7e]{32,}$/, 'must be at least 32 printable characters'))),
  // The CLI's side of the admin API (`irods-omero-agent jobs …`): where the agent is, which token to send.
  AGENT_URL: url(['http:', 'https:']).optional(),
  AGENT_ADMIN_TOKEN: z.string().regex(/^[\x21-\x7e]{16,}$/, 'must be a token of at least 16 printable characters').optional(),
  // Unset: /metrics is open (the usual Prometheus setup on a private network).
  AGENT_METRICS_TOKEN: z.string().regex(/^[\x21-\x7e]{16,}$/, 'must be a token of at least 16 printable characters').optional(),
  AGENT_REPLAY_LIMIT: int(500, 1, 10_000),

  AGENT_WATCH: z.string().default('').transform(words).pipe(z.array(logicalPrefix)),
  AGENT_ARCHIVE_SUFFIXES: z
    .string()
    .default('.zip .tar .tar.gz .tgz')
    .transform(words)
    .pipe(z.array(z.string().regex(/^\.[A-Za-z0-9.]+$/, 'must look like .zip'))),
  AGENT_USER_MAP: z.string().optional(),

  AGENT_WORKER_CONCURRENCY: int(2, 1, 256),
  AGENT_EXPAND_CONCURRENCY: int(1, 1, 64),
  AGENT_WORKER_STEPS: z
    .string()
    .default('')
    .transform(words)
    .pipe(z.array(z.string().regex(/^[a-z]+$/, 'must be step names such as expand or omero'))),
  AGENT_STEP_ATTEMPTS: int(5, 1, 100),
  AGENT_STEP_BACKOFF_MS: int(2000, 10, 3_600_000),
  AGENT_STABLE_SECONDS: int(2, 0, 3600),
  AGENT_IRODS_LOGIN_RETRY_SECONDS: int(30, 1, 3600),

  AGENT_MAX_ENTRIES: int(200_000, 1),
  AGENT_MAX_TOTAL_BYTES: int(2048 * GiB, 1),
  AGENT_MAX_ENTRY_BYTES: int(512 * GiB, 1),
  AGENT_MAX_COMPRESSION_RATIO: int(200, 1),
  AGENT_MAX_XML_BYTES: int(64 * MiB, 1024),

  AGENT_SWEEP_INTERVAL_SECONDS: int(300, 0, 86_400),
  AGENT_STUCK_AFTER_SECONDS: int(3600, 1),
  AGENT_SWEEP_GRACE_SECONDS: int(120, 0, 86_400),
  AGENT_MARK_POLL_SECONDS: int(15, 0, 86_400),
  // Annotation sync (docs/omero.md, "iRODS metadata in OMERO"): metadata.changed events of one object within this window make one sync.
  AGENT_OMERO_SYNC_DEBOUNCE_SECONDS: int(10, 0, 3600),
  AGENT_OMERO_SYNC_ATTEMPTS: int(8, 1, 100),
  AGENT_OMERO_SYNC_BACKOFF_MS: int(10_000, 10, 3_600_000),

  IRODS_HTTP_API_URL: url(['http:', 'https:'])
    .default('http://127.0.0.1:9000/irods-http-api/0.7.0')
    .transform((u) => u.replace(/\/+$/, '')),
  IRODS_USERNAME: z.string().min(1).default('rods'),
  IRODS_PASSWORD: z.string().optional(),
  IRODS_ZONE: z.string().regex(/^[A-Za-z0-9_-]+$/).default('tempZone'),
  IRODS_REQUEST_TIMEOUT_MS: int(30_000, 100),
  IRODS_MAX_BODY_BYTES: int(8 * MiB, 64 * 1024),
  IRODS_WRITE_CHUNK_BYTES: int(4 * MiB, 64 * 1024),
  IRODS_PARALLEL_WRITE_THRESHOLD: int(64 * MiB, 1),
  IRODS_PARALLEL_WRITE_STREAMS: int(3, 1, 16),
  IRODS_READ_AHEAD_BYTES: int(4 * MiB, 0),
  IRODS_ADMIN_MODE: bool(true),
  // A root resource name as iadmin mkresc accepts it (rsGeneralAdmin: shorter than NAME_LEN, no whitespace).
  AGENT_TARGET_RESOURCE: z
    .string()
    .regex(/^[^\s;]{1,63}$/, 'must be the name of a root resource (1 to 63 characters, no whitespace or ";")')
    .optional(),
  AGENT_LOGICAL_QUOTAS_NAMESPACE: z
    .string()
    .regex(/^[^\s']+$/, "must be the logical_quotas plugin's namespace (no whitespace or quotes)")
    .default('irods::logical_quotas'),

  OMERO_ENABLED: bool(false),
  OMERO_CLI: z.string().default('omero'),
  // Several servers (docs/omero.md, "Several OMERO servers"); without it the OMERO_* settings below describe one.
  OMERO_SERVERS_FILE: z.string().regex(/^\//, 'must be an absolute path').optional(),
  OMERO_SERVER_NAME: z.string().regex(OMERO_SERVER_NAME, 'must be a lower-case name of 1-32 letters, digits, _ or - starting with a letter').default('default'),
  OMERO_HOST: z.string().default('localhost'),
  OMERO_PORT: int(4064, 1, 65535),
  OMERO_USER: z.string().default('root'),
  OMERO_PASSWORD: z.string().optional(),
  OMERO_GROUP: z.string().optional(),
  OMERO_MODE: z.enum(['ln_s', 'upload']).default('upload'),
  OMERO_IRODS_MOUNT: z
    .string()
    .regex(/^\/./, 'must be an absolute path (where the OMERO server sees the iRODS zone)')
    .transform((p) => p.replace(/\/+$/, ''))
    .optional(),
  // The iRODS collection OMERO_IRODS_MOUNT shows (NFSRODS: its `irods_mount_point`); default /<IRODS_ZONE>.
  OMERO_IRODS_MOUNT_COLLECTION: logicalPrefix
    .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not hold . or .. segments')
    .optional(),
  // `omero transfer unpack` (imports included) may run this long; login and queries get OMERO_QUERY_TIMEOUT_SECONDS.
  OMERO_TIMEOUT_SECONDS: int(6 * 3600, 1, 7 * 86_400),
  OMERO_QUERY_TIMEOUT_SECONDS: int(300, 1, 86_400),
  OMERO_MERGE: bool(true),
  OMERO_SKIP: z.enum(['all', 'checksum', 'thumbnails', 'minmax', 'upgrade']).optional(),
  OMERO_ON_REPLAY: z.enum(['keep', 'register']).default('keep'),
  OMERO_STAGING_DIR: z.string().regex(/^\//, 'must be an absolute path').optional(),
  OMERO_STAGING_MAX_BYTES: int(100 * GiB, 1),
  OMERO_SYNC_ANNOTATIONS: bool(true),
  // Goes into HQL and obj transaction files as is: a conservative alphabet, no quotes or spaces.
  OMERO_ANNOTATION_NS: z
    .string()
    .regex(/^[A-Za-z0-9._:/-]{1,255}$/, 'must be a namespace of letters, digits and . _ : / - (no spaces or quotes)')
    .default('irods-omero-agent/irods-metadata'),
  OMERO_SYNC_INCLUDE: z.string().default('').transform(words),
  // An empty variable means "unset" here (env-source.ts): `none` excludes nothing.
  OMERO_SYNC_EXCLUDE: z
    .string()
    .default('omero.')
    .transform((s) => (s.trim() === 'none' ? [] : words(s))),
  OMERO_CLI_ENV: z
    .string()
    .default('')
    .transform(words)
    .pipe(
      z.array(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be environment variable names')
          .refine((n) => !isForbiddenPassthrough(n), 'must not name the agent\'s own settings or secrets'),
      ),
    ),
});

/** Settings that may also be given as `<NAME>_FILE` (a path to a file holding the value). */
const SECRET_KEYS = [
  'AGENT_DATABASE_URL',
  'AGENT_REDIS_URL',
  'AGENT_WEBHOOK_SECRETS',
  'AGENT_ADMIN_TOKENS',
  'AGENT_NATIVE_RULE_TOKENS',
  'AGENT_ADMIN_TOKEN',
  'AGENT_METRICS_TOKEN',
  'IRODS_PASSWORD',
  'OMERO_PASSWORD',
] as const;

/** zod's own wording for the few checks that carry no message of ours ("Invalid option: …"), said plainly. */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map(String).join(', ')}`;
  return issue.message;
}

/** ", got 'abc'": what was given, so a typo shows; never for a setting that may hold a secret. */
function givenValue(key: string, raw: string | undefined): string {
  if (raw === undefined || (SECRET_KEYS as readonly string[]).includes(key)) return '';
  const shown = raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
  return `, got '${shown}'`;
}

/** Every variable the configuration reads: the settings, their `_FILE` forms and AGENT_CONFIG_FILE. */
export const KNOWN_VARIABLES: readonly string[] = [
  ...Object.keys(envSchema.shape),
  ...SECRET_KEYS.map((k) => `${k}_FILE`),
  'AGENT_CONFIG_FILE',
];

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses and validates the whole configuration once. Throws ConfigError naming the first
 * offending variable. Nothing else in the agent reads process.env.
 */
export function loadConfig(env: EnvLike): Config {
  const raw = collectEnv(env, SECRET_KEYS);
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'configuration');
    const where = issue && issue.path.length > 1 ? ` (item ${String(issue.path[1])})` : '';
    throw new ConfigError(key, `${issue ? issueMessage(issue) : 'invalid'}${where}${givenValue(key, raw[key])}`);
  }
  const e = parsed.data;
  if (e.IRODS_WRITE_CHUNK_BYTES > e.IRODS_MAX_BODY_BYTES - 64 * 1024) {
    throw new ConfigError('IRODS_WRITE_CHUNK_BYTES', 'must stay below IRODS_MAX_BODY_BYTES (the HTTP API rejects larger bodies)');
  }
  const servers = omeroServers(e, (key) => raw[key] !== undefined);
  const config: Config = {
    databaseUrl: e.AGENT_DATABASE_URL,
    redisUrl: e.AGENT_REDIS_URL,
    queuePrefix: e.AGENT_QUEUE_PREFIX,
    logLevel: e.AGENT_LOG_LEVEL,
    http: { host: e.AGENT_HOST, port: e.AGENT_PORT, bodyLimitBytes: e.AGENT_BODY_LIMIT },
    webhook: {
      secrets: e.AGENT_WEBHOOK_SECRETS,
      toleranceSeconds: e.AGENT_WEBHOOK_TOLERANCE_SECONDS,
      debounceSeconds: e.AGENT_DEBOUNCE_SECONDS,
      nativeRuleTokens: e.AGENT_NATIVE_RULE_TOKENS,
    },
    admin: {
      tokens: e.AGENT_ADMIN_TOKENS,
      client: { url: e.AGENT_URL?.replace(/\/+$/, ''), token: e.AGENT_ADMIN_TOKEN },
      metricsToken: e.AGENT_METRICS_TOKEN,
      replayLimit: e.AGENT_REPLAY_LIMIT,
    },
    watch: { prefixes: e.AGENT_WATCH, archiveSuffixes: e.AGENT_ARCHIVE_SUFFIXES.map((s) => s.toLowerCase()) },
    userMapPath: e.AGENT_USER_MAP,
    workers: {
      concurrency: e.AGENT_WORKER_CONCURRENCY,
      expandConcurrency: e.AGENT_EXPAND_CONCURRENCY,
      steps: e.AGENT_WORKER_STEPS,
      attempts: e.AGENT_STEP_ATTEMPTS,
      backoffMs: e.AGENT_STEP_BACKOFF_MS,
      stableSeconds: e.AGENT_STABLE_SECONDS,
      loginRetrySeconds: e.AGENT_IRODS_LOGIN_RETRY_SECONDS,
    },
    limits: {
      maxEntries: e.AGENT_MAX_ENTRIES,
      maxTotalBytes: e.AGENT_MAX_TOTAL_BYTES,
      maxEntryBytes: e.AGENT_MAX_ENTRY_BYTES,
      maxCompressionRatio: e.AGENT_MAX_COMPRESSION_RATIO,
      maxXmlBytes: e.AGENT_MAX_XML_BYTES,
    },
    sweeper: {
      intervalSeconds: e.AGENT_SWEEP_INTERVAL_SECONDS,
      stuckAfterSeconds: e.AGENT_STUCK_AFTER_SECONDS,
      graceSeconds: e.AGENT_SWEEP_GRACE_SECONDS,
    },
    nativeMarks: { pollSeconds: e.AGENT_MARK_POLL_SECONDS },
    irods: {
      baseUrl: e.IRODS_HTTP_API_URL,
      username: e.IRODS_USERNAME,
      password: e.IRODS_PASSWORD,
      zone: e.IRODS_ZONE,
      requestTimeoutMs: e.IRODS_REQUEST_TIMEOUT_MS,
      maxBodyBytes: e.IRODS_MAX_BODY_BYTES,
      writeChunkBytes: e.IRODS_WRITE_CHUNK_BYTES,
      parallelWriteThreshold: e.IRODS_PARALLEL_WRITE_THRESHOLD,
      parallelWriteStreams: e.IRODS_PARALLEL_WRITE_STREAMS,
      readAheadBytes: e.IRODS_READ_AHEAD_BYTES,
      adminMode: e.IRODS_ADMIN_MODE,
      targetResource: e.AGENT_TARGET_RESOURCE,
      logicalQuotasNamespace: e.AGENT_LOGICAL_QUOTAS_NAMESPACE,
    },
    omero: {
      enabled: e.OMERO_ENABLED,
      cli: e.OMERO_CLI,
      servers,
      serversFile: e.OMERO_SERVERS_FILE,
      timeoutSeconds: e.OMERO_TIMEOUT_SECONDS,
      queryTimeoutSeconds: e.OMERO_QUERY_TIMEOUT_SECONDS,
      merge: e.OMERO_MERGE,
      skip: e.OMERO_SKIP,
      onReplay: e.OMERO_ON_REPLAY,
      stagingDir: e.OMERO_STAGING_DIR,
      stagingMaxBytes: e.OMERO_STAGING_MAX_BYTES,
      cliEnv: omeroCliEnvironment(env, e.OMERO_CLI_ENV),
    },
    omeroSync: {
      enabled: e.OMERO_ENABLED && e.OMERO_SYNC_ANNOTATIONS,
      namespace: e.OMERO_ANNOTATION_NS,
      include: e.OMERO_SYNC_INCLUDE,
      exclude: e.OMERO_SYNC_EXCLUDE,
      debounceSeconds: e.AGENT_OMERO_SYNC_DEBOUNCE_SECONDS,
      attempts: e.AGENT_OMERO_SYNC_ATTEMPTS,
      backoffMs: e.AGENT_OMERO_SYNC_BACKOFF_MS,
    },
  };
  return deepFreeze(config);
}

/** Throws ConfigError when a setting a command needs is missing. */
export function requireSetting<T>(value: T | undefined, key: string, why: string): T {
  if (value === undefined || value === '') throw new ConfigError(key, `required ${why}`);
  return value;
}
