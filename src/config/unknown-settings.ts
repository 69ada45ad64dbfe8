import { closest, distance } from 'fastest-levenshtein';
import { KNOWN_VARIABLES } from './config.js';
import { readConfigFile, type EnvLike } from './env-source.js';

export interface UnknownSetting {
  readonly name: string;
  /** Where it was found: the environment, or the AGENT_CONFIG_FILE path. */
  readonly source: string;
  /** The known setting it most likely meant, when one is close. */
  readonly suggestion: string | undefined;
}

/** A name one or two keystrokes (or a third of its length) away from a known one is taken for a typo of it. */
function likelyMeant(name: string): string | undefined {
  const candidate = closest(name, [...KNOWN_VARIABLES]);
  return distance(name, candidate) <= Math.max(2, Math.floor(name.length / 3)) ? candidate : undefined;
}

/**
 * Settings the agent does not know, so a misspelling (AGENT_WACH) is said instead of silently
 * leaving the default in force: every AGENT_* variable of the environment (other prefixes are
 * shared with iRODS and OMERO tools) and every key of the AGENT_CONFIG_FILE file.
 */
export function unknownSettings(env: EnvLike): UnknownSetting[] {
  const known = new Set(KNOWN_VARIABLES);
  const found: UnknownSetting[] = [];
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith('AGENT_') && !known.has(name)) found.push({ name, source: 'environment', suggestion: likelyMeant(name) });
  }
  const file = env.AGENT_CONFIG_FILE;
  if (file) {
    for (const name of Object.keys(readConfigFile(file)).sort()) {
      if (!known.has(name)) found.push({ name, source: file, suggestion: likelyMeant(name) });
    }
  }
  return found;
}

/** One warning line per unknown setting, for `config check` and the doctor. */
export function describeUnknownSetting(s: UnknownSetting): string {
  const where = s.source === 'environment' ? 'in the environment' : `in ${s.source}`;
  return `${s.name} ${where} is not a setting of the agent${s.suggestion ? `: did you mean ${s.suggestion}?` : ' (ignored)'}`;
}
