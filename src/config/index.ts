export { loadConfig, requireSetting } from './config.js';
export type { Config, AdminRole } from './config-types.js';
export { defaultOmeroServer, omeroServerNamed, omeroServerNames, OMERO_SERVER_NAME, type OmeroServer } from './omero-servers.js';
export { ConfigError } from './config-error.js';
export { describeConfig, configWarnings, maskUrlPassword } from './describe.js';
export type { EnvLike } from './env-source.js';
export { unknownSettings, describeUnknownSetting, type UnknownSetting } from './unknown-settings.js';
