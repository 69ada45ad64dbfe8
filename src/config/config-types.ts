import type { OmeroServer } from './omero-servers.js';

export type AdminRole = 'reader' | 'operator';

/** What the agent is configured with, once loadConfig (config.ts) has read and checked the environment. */
export interface Config {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly http: { readonly host: string; readonly port: number; readonly bodyLimitBytes: number };
  readonly webhook: {
    readonly secrets: readonly string[];
    readonly toleranceSeconds: number;
    readonly debounceSeconds: number;
    /** Shared tokens of the native-language rule (POST /v1/events/native); empty = route off. */
    readonly nativeRuleTokens: readonly string[];
  };
  readonly admin: {
    readonly tokens: readonly { readonly role: AdminRole; readonly token: string }[];
    /** The CLI's connection to an agent: base URL (default from AGENT_HOST/AGENT_PORT) and bearer token. */
    readonly client: { readonly url: string | undefined; readonly token: string | undefined };
    /** Bearer token /metrics requires; undefined: /metrics is open. */
    readonly metricsToken: string | undefined;
    /** The most jobs one POST /v1/jobs/replay may replay. */
    readonly replayLimit: number;
  };
  readonly watch: { readonly prefixes: readonly string[]; readonly archiveSuffixes: readonly string[] };
  readonly userMapPath: string | undefined;
  readonly workers: {
    readonly concurrency: number;
    readonly expandConcurrency: number;
    /** The steps this process's workers run (empty: all). E.g. only `omero` on the OMERO host. */
    readonly steps: readonly string[];
    readonly attempts: number;
    readonly backoffMs: number;
    /** How long an archive's size must stay unchanged before it is expanded. */
    readonly stableSeconds: number;
    /** How often a step waiting for iRODS to accept the agent's login tries again. */
    readonly loginRetrySeconds: number;
  };
  readonly limits: {
    readonly maxEntries: number;
    readonly maxTotalBytes: number;
    readonly maxEntryBytes: number;
    readonly maxCompressionRatio: number;
    readonly maxXmlBytes: number;
  };
  readonly sweeper: {
    readonly intervalSeconds: number;
    readonly stuckAfterSeconds: number;
    /** Archives modified more recently than this are left to their event (it may still be on its way). */
    readonly graceSeconds: number;
  };
  /** The native rule's marks (irods_omero_agent::landed AVUs), taken in the processes that run workers. */
  readonly nativeMarks: {
    /** Seconds between passes; 0: never. */
    readonly pollSeconds: number;
  };
  readonly irods: {
    readonly baseUrl: string;
    readonly username: string;
    readonly password: string | undefined;
    readonly zone: string;
    readonly requestTimeoutMs: number;
    readonly maxBodyBytes: number;
    readonly writeChunkBytes: number;
    readonly parallelWriteThreshold: number;
    readonly parallelWriteStreams: number;
    readonly readAheadBytes: number;
    /** Send admin=1 on ACL/metadata operations (the agent's account is a rodsadmin). */
    readonly adminMode: boolean;
    /** The root resource expanded objects are written to; undefined: the server's default. */
    readonly targetResource: string | undefined;
    /** The logical_quotas plugin's AVU namespace, checked before an expansion. */
    readonly logicalQuotasNamespace: string;
  };
  readonly omero: {
    readonly enabled: boolean;
    readonly cli: string;
    /** Every server the agent may register in, the default one among them (defaultOmeroServer). */
    readonly servers: readonly OmeroServer[];
    /** Where they were described (OMERO_SERVERS_FILE); undefined: by the OMERO_* settings. */
    readonly serversFile: string | undefined;
    /** Bound on one `omero transfer unpack` (imports included). */
    readonly timeoutSeconds: number;
    /** Bound on `omero login`, `omero hql`, `omero logout`. */
    readonly queryTimeoutSeconds: number;
    /** Pass --merge: reuse the account's Projects/Datasets/Screens of the same names. */
    readonly merge: boolean;
    /** Pass --skip <value> to the imports. */
    readonly skip: 'all' | 'checksum' | 'thumbnails' | 'minmax' | 'upgrade' | undefined;
    /** On a replay of an archive already registered on this server: keep its ids, or register again. */
    readonly onReplay: 'keep' | 'register';
    /** Upload mode without OMERO_IRODS_MOUNT: where files are staged (default: the system temp dir). */
    readonly stagingDir: string | undefined;
    readonly stagingMaxBytes: number;
    /** The environment the CLI runs with (src/omero/cli-environment.ts); OMERO_PASSWORD is added only where needed. */
    readonly cliEnv: Readonly<Record<string, string>>;
  };
  /** iRODS metadata kept in OMERO as MapAnnotations (metadata.changed events; docs/omero.md). */
  readonly omeroSync: {
    /** OMERO_ENABLED and OMERO_SYNC_ANNOTATIONS. */
    readonly enabled: boolean;
    /** The namespace of the agent's MapAnnotations. */
    readonly namespace: string;
    /** Attribute prefixes to show (empty: every attribute). */
    readonly include: readonly string[];
    /** Attribute prefixes never shown (besides the agent's own `irods_omero_agent::`, always left out). */
    readonly exclude: readonly string[];
    /** Events of one object within this window make one sync. */
    readonly debounceSeconds: number;
    readonly attempts: number;
    readonly backoffMs: number;
  };
}
