import type { Config } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import { OMERO_ID_ATTRIBUTES, type OmeroSessionOptions } from '../../omero/index.js';
import { omeroSessionOptions } from '../omero-session-options.js';

export type RegistrationField = keyof typeof OMERO_ID_ATTRIBUTES;

/** The name of the server the OMERO_* settings describe. */
export const DEFAULT_SERVER = 'default';

/** One OMERO server an unregister talks to, and how its registrations are named in iRODS. */
export interface OmeroServerTarget {
  readonly name: string;
  /** host:port: the value of the tree's server AVU, and the server of omero_annotations rows. */
  readonly address: string;
  /** The attribute of `field` for registrations in this server. */
  attribute(field: RegistrationField): string;
  sessionOptions(log: Logger, signal?: AbortSignal): OmeroSessionOptions;
}

/**
 * The server called `name`, or undefined when the configuration has none of that name. Today
 * only the OMERO_* settings, named `default`, whose registrations carry the attribute names of
 * registration-avus.ts (`irods_omero_agent::omero_<field>`).
 */
export function omeroServerTarget(config: Config, name: string = DEFAULT_SERVER): OmeroServerTarget | undefined {
  if (name !== DEFAULT_SERVER) return undefined;
  return {
    name,
    address: `${config.omero.host}:${config.omero.port}`,
    attribute: (field) => OMERO_ID_ATTRIBUTES[field],
    sessionOptions: (log, signal) => omeroSessionOptions(config, log, signal),
  };
}

/** The server names an operator may give (for a refusal's message). */
export function omeroServerNames(_config: Config): string[] {
  return [DEFAULT_SERVER];
}
