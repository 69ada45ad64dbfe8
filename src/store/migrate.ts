import { readdir } from 'node:fs/promises';
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

/** Where the database stands against the migrations this version of the agent ships. */
export interface MigrationStatus {
  readonly databaseExists: boolean;
  readonly applied: readonly string[];
  /** Shipped, not applied: `migrate` (or `start`) would apply them. */
  readonly pending: readonly string[];
  /** Applied, not shipped: a newer version of the agent migrated this database. */
  readonly unknown: readonly string[];
}

const UNDEFINED_DATABASE = '3D000';
const UNDEFINED_TABLE = '42P01';

/** Compares the applied migrations with the shipped ones, changing nothing (the doctor's check). */
export async function migrationStatus(databaseUrl: string): Promise<MigrationStatus> {
  const shipped = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -'.sql'.length)).sort();
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    if ((err as { code?: unknown }).code === UNDEFINED_DATABASE) return { databaseExists: false, applied: [], pending: shipped, unknown: [] };
    throw err;
  }
  try {
    let applied: string[] = [];
    try {
      applied = (await client.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY run_on, id')).rows.map((r) => r.name);
    } catch (err) {
      if ((err as { code?: unknown }).code !== UNDEFINED_TABLE) throw err;
    }
    return {
      databaseExists: true,
      applied,
      pending: shipped.filter((name) => !applied.includes(name)),
      unknown: applied.filter((name) => !shipped.includes(name)),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}
