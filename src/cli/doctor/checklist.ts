/** One line of the doctor's checklist. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable name for scripts (`postgresql.migrations`, `irods.watch:/tempZone/home/lab`). */
  readonly id: string;
  /** What was checked, for a person. */
  readonly title: string;
  readonly status: CheckStatus;
  /** What was found (a version, an address, why it was skipped). */
  readonly detail: string;
  /** For a failure or a warning: what to change, naming the variable or file. */
  readonly fix?: string | undefined;
}

export const ok = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'ok', detail });
export const warn = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'warn', detail, fix });
export const fail = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'fail', detail, fix });
export const skip = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'skip', detail });

const MARK: Record<CheckStatus, string> = { ok: '[ ok ]', warn: '[warn]', fail: '[FAIL]', skip: '[skip]' };

/** The checklist as a person reads it: a line per check, the fix indented under a failure or warning. */
export function checklistLines(results: readonly CheckResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${MARK[r.status]} ${r.title}${r.detail ? `: ${r.detail}` : ''}`);
    if (r.fix && (r.status === 'fail' || r.status === 'warn')) lines.push(`       fix: ${r.fix}`);
  }
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  lines.push('', `${count('ok')} passed, ${count('fail')} failed, ${count('warn')} warned, ${count('skip')} skipped`);
  return lines;
}

export function anyFailed(results: readonly CheckResult[]): boolean {
  return results.some((r) => r.status === 'fail');
}
