import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { AdminApiError, type AdminClient, type JobQuery } from '../../../src/cli/admin-client.js';
import { jobIdArgument, resolveJobId } from '../../../src/cli/job-id.js';

const A = '3f2c1a9b-0000-4000-8000-000000000001';
const B = '3f2c1a9b-ffff-4000-8000-000000000002';

/** An admin API holding the given job ids, answering `id_prefix` as the real one does. */
function apiWith(ids: readonly string[]): AdminClient {
  const listJobs = (query: JobQuery) => {
    const prefix = (query.id_prefix ?? '').replace(/-/g, '');
    const items = ids.filter((id) => id.replace(/-/g, '').startsWith(prefix)).map((id) => ({ id }));
    return Promise.resolve({ items: items.slice(0, query.limit), next_cursor: items.length > (query.limit ?? 50) ? 'more' : null });
  };
  return { listJobs } as unknown as AdminClient;
}

describe('job ids as people type them', () => {
  it('accepts a whole id or at least 8 of its first characters, nothing shorter', () => {
    expect(jobIdArgument(A.toUpperCase())).toBe(A);
    expect(jobIdArgument('3f2c1a9b')).toBe('3f2c1a9b');
    expect(jobIdArgument('3f2c1a9b-ff')).toBe('3f2c1a9b-ff');
    expect(() => jobIdArgument('3f2c1a9')).toThrow(InvalidArgumentError);
    expect(() => jobIdArgument('not-a-job')).toThrow(/first 8 or more characters/);
  });

  it('resolves a prefix only one job starts with; refuses one several start with, naming them; 404 for none', async () => {
    expect(await resolveJobId(apiWith([A, B]), '3f2c1a9b-f')).toBe(B);
    expect(await resolveJobId(apiWith([A, B]), A)).toBe(A);
    const ambiguous = await resolveJobId(apiWith([A, B]), '3f2c1a9b').catch((e: unknown) => e);
    expect(ambiguous).toBeInstanceOf(AdminApiError);
    expect(ambiguous).toMatchObject({ status: 400, code: 'ambiguous_id' });
    expect((ambiguous as Error).message).toContain(`${A}, ${B}`);
    await expect(resolveJobId(apiWith([A]), '00000000')).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });
});
