/**
 * What the OMERO CLI inherits from the agent's environment: what OMERO.py, its Python and the
 * Java importer need to run, plus names the admin lists (OMERO_CLI_ENV). Never the agent's own
 * settings and secrets (AGENT_*, IRODS_*), never OMERO_PASSWORD (given to `omero login` alone).
 */
const INHERITED =
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|JAVA_HOME|JAVA_OPTS|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|PYTHONPATH|PYTHONHOME|VIRTUAL_ENV|CONDA_PREFIX|CONDA_DEFAULT_ENV|PYENV_ROOT|PYENV_VERSION|LD_LIBRARY_PATH|OMERODIR|OMERO_USERDIR|OMERO_TMPDIR)$/;

/** Names OMERO_CLI_ENV may not pass through. */
export function isForbiddenPassthrough(name: string): boolean {
  return /^(AGENT_|IRODS_)/.test(name) || name === 'OMERO_PASSWORD' || name === 'OMERO_PASSWORD_FILE';
}

export function omeroCliEnvironment(env: Readonly<Record<string, string | undefined>>, extra: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || isForbiddenPassthrough(name)) continue;
    if (INHERITED.test(name) || extra.includes(name)) out[name] = value;
  }
  return out;
}
