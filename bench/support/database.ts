import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createLogger } from '../../src/logging/logger.js';
import { dropDatabase, ensureDatabase } from '../../src/store/database.js';
import { createPool, migrate } from '../../src/store/index.js';

export const BENCH_PG_BASE = 'postgres://postgres@127.0.0.1:5432';

export interface BenchDatabase {
  readonly url: string;
  readonly name: string;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

/**
 * A database of the bench's own: migrated with the agent's schema, or empty (`schema: false`,
 * for baselines that make their own table). The pool has the agent's production size, so the
 * agent and the baselines are measured with the same number of connections.
 */
export async function createBenchDatabase(label: string, options: { schema?: boolean } = {}): Promise<BenchDatabase> {
  const name = `ioa_bench_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const url = `${BENCH_PG_BASE}/${name}`;
  if (options.schema === false) await ensureDatabase(url);
  else await migrate(url, createLogger({ level: 'silent' }));
  const pool = createPool(url);
  return {
    url,
    name,
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(url);
    },
  };
}
