import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import type { Logger } from '../logging/logger.js';
import { ensureDatabase } from './database.js';

/** Versioned SQL files beside this module (copied next to the compiled module by the build). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/** Any constant: the key of the session lock that serialises migrations across agents. */
const MIGRATION_LOCK_KEY = 0x1a0e_0a6e;

/**
 * Brings the schema up to date: creates the database if missing, then applies pending
 * migrations. Several agents may start at once: node-pg-migrate's own lock is a try-lock that
 * fails the loser, so we hold a blocking advisory lock instead and the loser simply waits and
 * then finds nothing to do. Idempotent. Returns the names of the migrations it applied.
 */
export async function migrate(databaseUrl: string, log: Logger): Promise<string[]> {
  const { created } = await ensureDatabase(databaseUrl);
  if (created) log.info({ database: new URL(databaseUrl).pathname.slice(1) }, 'created database');
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await runMigrations(client, log);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

async function runMigrations(dbClient: pg.Client, log: Logger): Promise<string[]> {
  const applied = await runner({
    dbClient,
    noLock: true,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'schema_migrations',
    checkOrder: true,
    verbose: false,
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: (msg: string) => log.warn(msg),
      // Our files are numbered (0001_…), which node-pg-migrate orders by that number all the
      // same but reports at error level as "not a timestamp": noise, not a failure.
      error: (msg: string) => (msg.startsWith("Can't determine timestamp") ? log.debug(msg) : log.error(msg)),
    },
  });
  const names = applied.map((m) => m.name);
  if (names.length) log.info({ migrations: names }, 'applied migrations');
  return names;
}
