import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema.js';
import { withQueryDeadline } from './deadline.js';
import { createSessionLocks, type SessionLocks } from './session-locks.js';

export type Db = PostgresJsDatabase<typeof schema>;

export interface DbHandle {
  db: Db;
  /** The raw driver, for health checks and the few statements drizzle does not express. */
  sql: postgres.Sql;
  /** `postgres://…` actually in use (the embedded server's, when no URL was given). */
  url: string;
  embedded: boolean;
  /** `application_name` of this pool's connections, unique per process, so its own use can be read from pg_stat_activity. */
  applicationName: string;
  /** Named locks across every process on the database (their own connection, opened on first use). */
  locks: SessionLocks;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** `DATABASE_URL`; when absent `startEmbedded` runs a PostgreSQL under `{dataDir}/postgres`. */
  url?: string;
  dataDir?: string;
  /** The host's embedded PostgreSQL (`@plyr/embedded`), loaded by it only when there is no URL. */
  startEmbedded?: (dir: string, onNotice?: (message: string) => void) => Promise<{ url: string; stop: () => Promise<void> }>;
  /** Connections in the pool. */
  max?: number;
  /** Seconds to wait for a connection before failing the query (a down database fails fast). */
  connectTimeoutSeconds?: number;
  runMigrations?: boolean;
  /**
   * Server-side `statement_timeout` (default 4 s; lock waits end at `lock_timeout`, 3 s). The
   * client gives a statement 1 s more before it fails with QueryTimeoutError, for a server or
   * route that stops answering at all; inside transactions too (deadline.ts).
   */
  statementTimeoutMs?: number;
  /** Told what the embedded PostgreSQL changed on the machine to run (e.g. a directory's permissions). */
  onNotice?: (message: string) => void;
}

/** How long a silent transaction may hold its locks and snapshot; above any track-lock section's work. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 5 * 60_000;
/** Time for the server's own timeout answer to arrive before the client gives up on it. */
const CLIENT_DEADLINE_MARGIN_MS = 1_000;

export const migrationsFolder = join(import.meta.dirname, '..', 'migrations');

let poolsCreated = 0;

export async function createDb(options: CreateDbOptions = {}): Promise<DbHandle> {
  let url = options.url;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const dir = join(options.dataDir ?? '.data', 'postgres');
    mkdirSync(dir, { recursive: true });
    if (!options.startEmbedded) throw new Error('no database: set DATABASE_URL');
    const embedded = await options.startEmbedded(dir, options.onNotice);
    url = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const applicationName = `plyr:${process.pid}:${++poolsCreated}`;
  const statementTimeoutMs = options.statementTimeoutMs ?? 4_000;
  if (options.runMigrations ?? true) await runMigrations(url);
  const limits = {
    statement_timeout: statementTimeoutMs,
    lock_timeout: Math.min(3_000, statementTimeoutMs),
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
  const sql = postgres(url, {
    connection: { application_name: applicationName, ...limits },
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 30,
    // Retry a lost server every 250 ms: the default backoff grows to 20 s, and queued queries wait it out.
    backoff: () => 0.25,
    onnotice: () => {},
  });
  const db = drizzle(withQueryDeadline(sql, statementTimeoutMs + CLIENT_DEADLINE_MARGIN_MS), { schema });
  const locks = createSessionLocks(url, { application_name: `${applicationName}:locks`, ...limits });
  return {
    db,
    sql,
    url,
    embedded: Boolean(stopEmbedded),
    applicationName,
    locks,
    async close() {
      await locks.close();
      await sql.end({ timeout: 5 });
      await stopEmbedded?.();
    },
  };
}

/**
 * On a connection of their own, without the pool's timeouts: a migration may rightly run for minutes.
 * Ours first, then the job queue's schema (`graphile_worker`), both idempotent.
 */
export async function runMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle(sql), { migrationsFolder });
  } finally {
    await sql.end({ timeout: 5 });
  }
  await installJobQueueSchema(url);
}

/**
 * graphile-worker installs and upgrades its own schema; run here, with ours, so that an instance
 * that only enqueues (WORKER_ENABLED=false) and every test database cloned from the template have it.
 */
async function installJobQueueSchema(connectionString: string): Promise<void> {
  const { runMigrations: migrateQueue, Logger } = await import('graphile-worker');
  await migrateQueue({ connectionString, logger: new Logger(() => () => {}) });
}
