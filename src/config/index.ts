export { loadConfig, requireSetting, type Config, type AdminRole } from './config.js';
export { defaultOmeroServer, omeroServerNamed, OMERO_SERVER_NAME, type OmeroServer } from './omero-servers.js';
export { ConfigError } from './config-error.js';
export { describeConfig, configWarnings, maskUrlPassword } from './describe.js';
export type { EnvLike } from './env-source.js';
export { unknownSettings, describeUnknownSetting, type UnknownSetting } from './unknown-settings.js';
