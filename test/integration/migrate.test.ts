import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { dropDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { TEST_PG_BASE } from '../support/database.js';

const url = `${TEST_PG_BASE}/ioa_migrate_${randomBytes(4).toString('hex')}`;
const log = createLogger({ level: 'silent' });

afterAll(() => dropDatabase(url));

describe('migrate', () => {
  it('creates a missing database, applies every migration, and is idempotent', async () => {
    const first = await migrate(url, log);
    expect(first[0]).toBe('0001_initial');
    expect(await migrate(url, log)).toEqual([]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    await client.end();
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['archives', 'audit', 'entries', 'events', 'job_steps', 'jobs', 'schema_migrations']),
    );
  });

  it('survives two agents migrating at once', async () => {
    const other = `${TEST_PG_BASE}/ioa_migrate_race_${randomBytes(4).toString('hex')}`;
    try {
      const results = await Promise.all([migrate(other, log), migrate(other, log)]);
      expect(results.flat().filter((n) => n === '0001_initial')).toHaveLength(1);
    } finally {
      await dropDatabase(other);
    }
  });
});
