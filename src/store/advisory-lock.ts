import type pg from 'pg';

/**
 * Runs `fn` while holding a session advisory lock on `key`, unless another session holds it:
 * then `fn` does not run. Several agent processes may call this at once and only one does the
 * work (the periodic passes: sweep, native marks). The lock is released even when `fn` fails; a
 * connection that could not release it is closed rather than returned to the pool with the lock.
 */
export async function withTryAdvisoryLock<T>(pool: pg.Pool, key: number, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  const client = await pool.connect();
  let broken = false;
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
    if (!rows[0]?.locked) return { ran: false };
    try {
      return { ran: true, value: await fn() };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {
        broken = true;
      });
    }
  } finally {
    client.release(broken);
  }
}

/**
 * Takes the advisory lock of an archive path until the transaction ends: the intake decides
 * about one path at a time. The key is the one migration 0005's `ioa_accept_new_archives` takes.
 */
export async function lockArchivePath(tx: pg.PoolClient, logicalPath: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [logicalPath]);
}
