import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config-error.js';

export type EnvLike = Readonly<Record<string, string | undefined>>;

function scalarOrList(key: string, file: string, value: unknown): string {
  const scalar = (v: unknown): string => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new ConfigError(key, `in ${file}: must be a value or a list of values`);
  };
  return Array.isArray(value) ? value.map(scalar).join(' ') : scalar(value);
}

/** The settings of a YAML or JSON file (keys spelled as the environment variables). */
export function readConfigFile(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError('AGENT_CONFIG_FILE', `cannot read ${file}: ${(err as Error).message}`);
  }
  const settings: Record<string, string> = {};
  if (parsed === null || parsed === undefined) return settings;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('AGENT_CONFIG_FILE', `${file} must be a mapping of NAME: value`);
  }
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (value === null || value === undefined) continue;
    settings[key] = scalarOrList(key, file, value);
  }
  return settings;
}

/**
 * Merges the three places configuration may come from, later ones winning:
 * an optional file named by AGENT_CONFIG_FILE (YAML or JSON, keys spelled as the environment
 * variables), the environment itself, and `<NAME>_FILE` indirections for the secret settings
 * named in fileKeys (the Docker and Kubernetes convention: passwords need not sit in the
 * environment).
 */
export function collectEnv(env: EnvLike, fileKeys: readonly string[]): Record<string, string> {
  const file = env.AGENT_CONFIG_FILE;
  const merged: Record<string, string> = file ? readConfigFile(file) : {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') merged[key] = value;
  }
  for (const target of fileKeys) {
    const key = `${target}_FILE`;
    const path = merged[key];
    if (path === undefined) continue;
    if (env[target] !== undefined && env[target] !== '') continue; // an explicit value wins
    try {
      merged[target] = readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(key, `cannot read ${path}: ${(err as Error).message}`);
    }
  }
  return merged;
}
