import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createLogger } from '../../src/logging/logger.js';
import { dropDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { createPool } from '../../src/store/pool.js';

export const TEST_PG_BASE = 'postgres://postgres@127.0.0.1:5432';

export interface TestDatabase {
  readonly url: string;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file; drop() removes it. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `ioa_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const url = `${TEST_PG_BASE}/${name}`;
  await migrate(url, createLogger({ level: 'silent' }));
  const pool = createPool(url, { max: 5 });
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(url);
    },
  };
}
