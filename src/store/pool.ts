import pg from 'pg';

const INT8_OID = 20;

/**
 * A pg pool. int8 columns (sizes, ids) come back as numbers: iRODS sizes stay far below 2^53,
 * and callers should not have to parse strings. Per-pool type parsers: no global mutation.
 * An idle client whose connection dies (PostgreSQL restarted, the connection terminated by an
 * administrator) emits 'error' on the pool; without a listener that would crash the process.
 * The pool drops such a client by itself, and the next query reconnects, so it is only logged.
 */
export function createPool(
  databaseUrl: string,
  options: { max?: number; onIdleError?: (err: Error) => void } = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
        oid === INT8_OID ? (v: string) => Number(v) : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', options.onIdleError ?? (() => undefined));
  return pool;
}

/** Runs fn inside one transaction on one client; rolls back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** Resolves when PostgreSQL answers a trivial query (readiness, the start-up wait). */
export async function pingDatabase(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}
