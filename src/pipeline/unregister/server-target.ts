import { omeroServerNamed, type Config, type OmeroServer } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import { registrationAttribute, type OmeroSessionOptions, type RegistrationField } from '../../omero/index.js';
import { omeroSessionOptions } from '../omero-session-options.js';

/** One OMERO server an unregister talks to, and how its registrations are named in iRODS. */
export interface OmeroServerTarget {
  readonly name: string;
  /** host:port: the value of the tree's server AVU, and the server of omero_annotations rows. */
  readonly address: string;
  /** The attribute of `field` for registrations in this server (registration-avus.ts). */
  attribute(field: RegistrationField): string;
  sessionOptions(log: Logger, signal?: AbortSignal): OmeroSessionOptions;
}

function target(config: Config, server: OmeroServer): OmeroServerTarget {
  return {
    name: server.name,
    address: `${server.host}:${server.port}`,
    attribute: (field) => registrationAttribute(field, server),
    sessionOptions: (log, signal) => omeroSessionOptions(config, log, signal, server),
  };
}

/** The server called `name` in the configuration (the default server without a name), or undefined when there is none of that name. */
export function omeroServerTarget(config: Config, name?: string): OmeroServerTarget | undefined {
  const server = omeroServerNamed(config, name);
  return server && target(config, server);
}
