import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { runProcess, ProcessStartError, type ProcessOutcome } from './cli-process.js';
import { isMissingTarget, parseDeleteOutput, type DeleteReport } from './delete-output.js';
import { classifyExit } from './exit-status.js';
import { parseHqlRows } from './hql-output.js';
import { OmeroCliError, type OmeroCliErrorCode } from './omero-cli-error.js';
import { UnpackOutputParser, type UnpackReport } from './unpack-output.js';

export interface OmeroConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly group?: string | undefined;
}

export interface OmeroCliOptions {
  /** OMERO_CLI: the `omero` executable (a path, or a name looked up on the child's PATH). */
  readonly executable: string;
  readonly connection: OmeroConnection;
  /** The environment the CLI runs with (config.omero.cliEnv); never holds OMERO_PASSWORD. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * A directory of this agent's own (OMERO_SESSIONDIR): `omero login` stores its session there
   * and every later call of this instance joins it, so the password is sent once.
   */
  readonly sessionDir: string;
  /** Working directory of the CLI. */
  readonly cwd: string;
  /** Bound on login, hql and logout. */
  readonly queryTimeoutMs: number;
  readonly log: Logger;
}

export interface UnpackOptions {
  /** `--ln_s_import`: OMERO links the files where they are instead of copying them. */
  readonly lnS: boolean;
  readonly merge: boolean;
  readonly skip?: string | undefined;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** How one `omero transfer unpack` went: what it printed, and why it did not end cleanly. */
export interface UnpackRun {
  readonly report: UnpackReport;
  /**
   * Undefined when unpack exited 0 (which it does even when imports failed: see the report).
   * Otherwise its exit status, timeout or stop, sorted; the report still holds what was
   * imported before (unpack may crash after its imports), so it must be recorded all the same.
   */
  readonly failure: OmeroCliError | undefined;
}

/** How one `omero obj --file` run went: what each action printed, in order, and why it stopped. */
export interface ObjRun {
  /** stdout lines: one result per action that completed (obj.py TxState.set_value). */
  readonly printed: readonly string[];
  /** Undefined when every action completed; the actions before the failing one stay done in OMERO. */
  readonly failure: OmeroCliError | undefined;
}

/** Characters of stdout one `omero hql` call may print (a page of rows is far less). */
const MAX_HQL_OUTPUT = 8 * 1024 * 1024;

/**
 * The OMERO CLI (OMERO.py with the omero-cli-transfer plugin), called the way an administrator
 * would call it, but never through a shell and never with the password on the command line
 * (`-w` would show it to every user of the host in `ps`): `omero login` reads it from the
 * OMERO_PASSWORD environment variable (OMERO.py's documented alternative) and stores a session
 * in this instance's own session directory; the other commands get the same -s/-p/-u[/-g], find
 * that session there and join it without a password.
 *
 * Connection arguments go right after the command that declares them (`omero transfer -s …
 * unpack …`): omero-cli-transfer adds them to `transfer`, not to `unpack`, and argparse refuses
 * them after the sub-command.
 */
export class OmeroCli {
  private transactions = 0;

  constructor(private readonly options: OmeroCliOptions) {}

  get server(): string {
    return `${this.options.connection.host}:${this.options.connection.port}`;
  }

  /** The -s/-p/-u/-g arguments every command that logs in takes. */
  connectionArgs(): string[] {
    const c = this.options.connection;
    return ['-s', c.host, '-p', String(c.port), '-u', c.user, ...(c.group ? ['-g', c.group] : [])];
  }

  /** `omero login`: creates the session the other calls join. */
  async login(password: string | undefined, signal?: AbortSignal): Promise<void> {
    await this.run('login', ['login', ...this.connectionArgs()], {
      timeoutMs: this.options.queryTimeoutMs,
      signal,
      idempotent: true,
      password,
    });
  }

  /**
   * `omero transfer unpack --folder …`: imports and rebuilds in OMERO what `folder/transfer.xml`
   * describes. CLI failures are returned with the report, not thrown: what was imported before
   * a failure is in OMERO all the same.
   */
  async unpack(folder: string, options: UnpackOptions): Promise<UnpackRun> {
    if (!folder.startsWith('/')) throw new Error(`unpack needs an absolute folder, not ${folder}`);
    const args = [
      'transfer',
      ...this.connectionArgs(),
      'unpack',
      '--folder',
      ...(options.lnS ? ['--ln_s_import'] : []),
      ...(options.merge ? ['--merge'] : []),
      ...(options.skip ? ['--skip', options.skip] : []),
      folder,
    ];
    const parser = new UnpackOutputParser();
    try {
      await this.run('transfer unpack', args, {
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        // Imports may have happened before any failure: repeating would import them again.
        idempotent: false,
        onStdoutLine: parser.onStdoutLine,
        onStderrLine: parser.onStderrLine,
      });
      return { report: parser.report(), failure: undefined };
    } catch (err) {
      if (err instanceof OmeroCliError) return { report: parser.report(), failure: err };
      throw err;
    }
  }

  /** One page of an HQL projection: the projected values of each row, as text. */
  async hql(query: string, columns: number, page: { limit: number; offset: number }, signal?: AbortSignal): Promise<string[][]> {
    const lines: string[] = [];
    let size = 0;
    let overflow = false;
    const args = ['hql', ...this.connectionArgs(), '-q', '--style', 'plain', '--limit', String(page.limit), '--offset', String(page.offset), query];
    await this.run('hql', args, {
      timeoutMs: this.options.queryTimeoutMs,
      signal,
      idempotent: true,
      onStdoutLine: (line) => {
        size += line.length + 1;
        if (size > MAX_HQL_OUTPUT) overflow = true;
        else lines.push(line);
      },
    });
    if (overflow) throw this.error('failed', 'hql', null, '', false, `omero hql printed more than ${MAX_HQL_OUTPUT} characters for one page`);
    return parseHqlRows(lines.join('\n'), columns);
  }

  /** Every row of an HQL projection, page by page (the query must be ordered, or pages may overlap). */
  async hqlAll(query: string, columns: number, options: { pageSize?: number | undefined; signal?: AbortSignal | undefined } = {}): Promise<string[][]> {
    const limit = options.pageSize ?? 500;
    const all: string[][] = [];
    for (let offset = 0; ; offset += limit) {
      const rows = await this.hql(query, columns, { limit, offset }, options.signal);
      all.push(...rows);
      if (rows.length < limit) return all;
    }
  }

  /**
   * `omero obj --file <file>`: the lines as one transaction file in this instance's private
   * working directory, run in one CLI process (one login to the session instead of one per
   * action). Not atomic: each action is saved on its own, in order, until one fails.
   */
  async obj(lines: readonly string[], signal?: AbortSignal): Promise<ObjRun> {
    const file = join(this.options.cwd, `obj-${++this.transactions}.txt`);
    await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
    const printed: string[] = [];
    try {
      await this.run('obj', ['obj', ...this.connectionArgs(), '--file', file], {
        timeoutMs: this.options.queryTimeoutMs,
        signal,
        idempotent: true,
        onStdoutLine: (line) => printed.push(line),
      });
      return { printed, failure: undefined };
    } catch (err) {
      if (err instanceof OmeroCliError) return { printed, failure: err };
      throw err;
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * `omero delete --report <Class>:<ids> …`: one Delete2 request for all targets (the CLI combines
   * them), which the server does whole or not at all. Login arguments go before `delete`: the
   * delete plugin declares none of its own (omero-py cli.py GraphControl._configure), so they are
   * the top-level parser's. The CLI exits 0 when the server refuses: the output is read instead.
   */
  async delete(targets: Readonly<Record<string, readonly string[]>>, options: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<DeleteReport> {
    const objects = Object.entries(targets)
      .filter(([, ids]) => ids.length > 0)
      .map(([type, ids]) => {
        if (!/^[A-Z][A-Za-z]+$/.test(type) || ids.some((id) => !/^\d+$/.test(id))) throw new Error(`not an OMERO object list: ${type}:${ids.join(',')}`);
        return `${type}:${ids.join(',')}`;
      });
    if (!objects.length) return { ok: true, deleted: {}, failure: undefined };
    const stdout: string[] = [];
    const stderr: string[] = [];
    await this.run('delete', [...this.connectionArgs(), 'delete', '--report', ...objects], {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      // Whole or nothing on the server: a repeat after a lost connection finds what is left.
      idempotent: true,
      onStdoutLine: (line) => stdout.push(line),
      onStderrLine: (line) => stderr.push(line),
    });
    const report = parseDeleteOutput(stdout.join('\n'), stderr.join('\n'));
    if (report.ok) return report;
    const reason = report.failure ?? (stderr.filter((l) => l.trim()).pop() || 'no "ok" from the server');
    throw this.error(isMissingTarget(reason) ? 'object_missing' : 'failed', 'delete', 0, stderr.join('\n'), isMissingTarget(reason), reason);
  }

  /** `omero logout`: closes the session on the server (it would otherwise idle until its timeout). */
  async logout(signal?: AbortSignal): Promise<void> {
    await this.run('logout', ['logout'], { timeoutMs: this.options.queryTimeoutMs, signal, idempotent: true });
  }

  private async run(
    command: string,
    args: readonly string[],
    how: {
      timeoutMs: number;
      signal?: AbortSignal | undefined;
      idempotent: boolean;
      password?: string | undefined;
      onStdoutLine?: (line: string) => void;
      onStderrLine?: (line: string) => void;
    },
  ): Promise<ProcessOutcome> {
    const env: Record<string, string> = { ...this.options.env, OMERO_SESSIONDIR: this.options.sessionDir };
    delete env.OMERO_PASSWORD;
    if (how.password !== undefined && how.password !== '') env.OMERO_PASSWORD = how.password;
    const log = this.options.log.child({ omero_command: command });
    let outcome: ProcessOutcome;
    try {
      outcome = await runProcess({
        executable: this.options.executable,
        args,
        env,
        cwd: this.options.cwd,
        timeoutMs: how.timeoutMs,
        signal: how.signal,
        onStdoutLine: how.onStdoutLine,
        onStderrLine: how.onStderrLine,
      });
    } catch (err) {
      if (err instanceof ProcessStartError) {
        throw this.error('cli_missing', command, null, '', false, `${err.errno}`, err);
      }
      throw err;
    }
    log.debug({ args, exit_code: outcome.exitCode, signal: outcome.signal, ms: outcome.durationMs }, 'omero cli call');
    if (outcome.aborted) {
      throw this.error('aborted', command, outcome.exitCode, outcome.stderrTail, how.idempotent, 'stopped by the agent');
    }
    if (outcome.timedOut) {
      throw this.error('timeout', command, outcome.exitCode, outcome.stderrTail, how.idempotent, `still running after ${Math.round(how.timeoutMs / 1000)} s`);
    }
    if (outcome.exitCode === 0) return outcome;
    if (outcome.exitCode === null) {
      throw this.error('failed', command, null, outcome.stderrTail, false, `ended by ${outcome.signal ?? 'a signal'}`);
    }
    const sorted = classifyExit(outcome.exitCode, outcome.stderrTail, outcome.stdoutTail);
    const transient = sorted.code === 'unreachable';
    throw this.error(sorted.code, command, outcome.exitCode, outcome.stderrTail, transient && (how.idempotent || !sorted.workStarted), sorted.reason);
  }

  private error(
    code: OmeroCliErrorCode,
    command: string,
    exitCode: number | null,
    stderrTail: string,
    retryable: boolean,
    reason: string,
    cause?: unknown,
  ): OmeroCliError {
    return new OmeroCliError(code, this.sentence(code, command, reason), { command, exitCode, stderrTail: stderrTail.slice(-4000), retryable, cause });
  }

  /** What happened, for an administrator, naming the setting to look at. */
  private sentence(code: OmeroCliErrorCode, command: string, reason: string): string {
    const { executable, connection } = this.options;
    const why = reason ? ` (${reason})` : '';
    switch (code) {
      case 'cli_missing':
        return `The OMERO CLI "${executable}" could not be started on the agent host${why}: install OMERO.py with omero-cli-transfer there, or set OMERO_CLI to its path.`;
      case 'transfer_plugin_missing':
        return `The OMERO CLI "${executable}" has no "transfer" command: install omero-cli-transfer into its Python environment.`;
      case 'usage':
        return `The OMERO CLI "${executable}" refused the arguments of "omero ${command}"${why}: check that OMERO.py and omero-cli-transfer are recent enough.`;
      case 'unreachable':
        return `OMERO at ${this.server} could not be reached${why}.`;
      case 'login_refused':
        return `OMERO at ${this.server} refused the login of "${connection.user}"${why}: check OMERO_USER and OMERO_PASSWORD${connection.group ? ` and that the account is in the group "${connection.group}"` : ''}.`;
      case 'timeout':
        return `"omero ${command}" did not finish in time${why}.`;
      case 'aborted':
        return `"omero ${command}" was stopped because the agent is shutting down.`;
      case 'folder_missing':
        return `"omero ${command}" found no transfer.xml in the folder it was given${why}.`;
      case 'bad_query':
        return `OMERO refused a query of the agent${why}.`;
      case 'permission_denied':
        return `"omero ${command}" was refused access to a file${why}.`;
      case 'runs_as_root':
        return `The OMERO CLI "${executable}" refuses to run as root ("Running as root can corrupt your directory permissions", OMERO.py), and the agent runs as root on this host: run its workers as an unprivileged user.`;
      case 'object_missing':
        return `"omero ${command}" found no such object in OMERO${why}.`;
      case 'failed':
        return `"omero ${command}" failed${why}.`;
    }
  }
}
