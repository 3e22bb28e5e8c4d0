import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DestinationStream, Logger } from 'pino';
import { Redis } from 'ioredis';
import { createDb, type DbHandle } from '@plyr/db';
import type * as Embedded from '@plyr/embedded';
import type { CoreConfig, Services } from '@plyr/core';
import { createAuthService, createOAuthClient } from '@plyr/core/auth';
import { createStorage, type StorageConfig } from '@plyr/core/storage';
import { createSupporterService } from '@plyr/core/supporters';
import { createMetrics } from '@plyr/core/metrics';
import { createHotReads, createHotStore } from '@plyr/core/cache';
import { prepareDataDir } from './data-dir.js';
import type { Env } from './env.js';
import { startJobWorker } from './jobs.js';
import { StartupError } from './startup-errors.js';
import { createLogger } from './logger.js';

export interface AppContext {
  env: Env;
  services: Services;
  /** What backs this process, for the start-up line and the README's promise of "prints what it uses". */
  backing: { database: string; redis: string; storage: string };
  destroy(): Promise<void>;
}

export interface AppContextOptions {
  logDestination?: DestinationStream;
  /** Run the job worker in this process (default WORKER_ENABLED; the separate worker entry sets true). */
  runWorker?: boolean;
}

/** Builds every service once; `destroy()` closes them in reverse order. */
export async function createAppContext(env: Env, options: AppContextOptions = {}): Promise<AppContext> {
  const logger = createLogger(env.logLevel, options.logDestination);
  const closers: Array<() => Promise<unknown> | unknown> = [];
  try {
    closers.push(await prepareDataDir(env, logger));
    const dbHandle: DbHandle = await createDb({
      url: env.databaseUrl,
      dataDir: env.dataDir,
      startEmbedded: async (dir, onNotice) => (await loadEmbedded('DATABASE_URL')).startEmbeddedPostgres(dir, onNotice),
      onNotice: (message) => logger.info(message),
    });
    closers.push(() => dbHandle.close());

    const redis = env.redisUrl ? await connectRedis(env.redisUrl, logger) : null;
    if (redis) closers.push(() => redis.quit().catch(() => redis.disconnect()));

    const storageConfig = await resolveStorage(env, closers);
    const storage = createStorage(storageConfig);
    closers.push(() => storage.destroy());

    const config: CoreConfig = {
      appEnv: env.appEnv,
      publicUrl: env.publicUrl,
      presignTtlSeconds: env.presignTtlSeconds,
      plcUrl: env.plcUrl,
      handleResolver: env.handleResolver,
      sessionEncryptionKey: env.sessionEncryptionKey ?? loadOrCreateEncryptionKey(env.dataDir, logger),
      oauthPrivateKeys: env.oauthPrivateKeys,
      maxUploadBytes: env.maxUploadBytes,
    };
    const db = dbHandle.db;
    const metrics = createMetrics();
    metrics.addScrapeGauge(
      'plyr_postgres_connections',
      "This process's PostgreSQL connections by state (active, idle, idle in transaction)",
      ['state'],
      () => postgresConnectionsByState(dbHandle),
    );
    metrics.addScrapeGauge(
      'plyr_jobs',
      'Jobs in the queue by name and state (queued, running, failed: out of attempts)',
      ['name', 'state'],
      () => jobsByState(dbHandle),
    );
    const supporters = createSupporterService({
      atprotofansUrl: env.atprotofansUrl,
      redis,
      cacheTtlSeconds: env.supporterCacheTtlSeconds,
      sources: env.supporterSources,
      attested: {
        trustedBrokers: env.attestedTrustedBrokers,
        plcUrl: env.plcUrl,
        // Outside development, DID documents may not point the API at private or plain-http hosts.
        ssrfProtection: env.appEnv !== 'development',
      },
      logger,
      metrics,
    });
    const hot = createHotReads(db, createHotStore({ redis, metrics, logger }));
    // Closed before Redis (closers run in reverse), so its bus connections end cleanly.
    closers.push(() => hot.close());
    const oauth = await createOAuthClient({ config, db, locks: dbHandle.locks });
    const auth = createAuthService({ db, oauth, logger, hot });
    const services: Services = { config, db, redis, storage, supporters, oauth, auth, logger, metrics, hot };
    if (options.runWorker ?? env.workerEnabled) {
      // The queue lives in the database every mode has (the embedded server's URL included).
      const worker = await startJobWorker({ databaseUrl: dbHandle.url, deps: services, reconcileSchedule: env.reconcileSchedule });
      closers.push(() => worker.close());
    }

    return {
      env,
      services,
      backing: {
        database: dbHandle.embedded ? `embedded PostgreSQL (${join(env.dataDir, 'postgres')})` : 'DATABASE_URL',
        redis: redis ? 'REDIS_URL' : 'in-process stores (no REDIS_URL)',
        storage: env.s3.endpoint ? `S3 at ${env.s3.endpoint}` : `embedded S3 server at ${storageConfig.endpoint}`,
      },
      destroy: () => closeAll(closers),
    };
  } catch (err) {
    await closeAll(closers);
    throw err;
  }
}

/** Read from the server, which sees this pool's connections by the application name createDb gives them. */
async function postgresConnectionsByState(dbHandle: DbHandle): Promise<Array<{ labels: { state: string }; value: number }>> {
  const rows = await dbHandle.sql<Array<{ state: string | null; n: number }>>`
    select state, count(*)::int as n from pg_stat_activity where application_name = ${dbHandle.applicationName} group by state`;
  return rows.map((r) => ({ labels: { state: r.state ?? 'unknown' }, value: r.n }));
}

/** Read from graphile-worker's public view of the queue, shared by every instance. */
async function jobsByState(dbHandle: DbHandle): Promise<Array<{ labels: { name: string; state: string }; value: number }>> {
  const rows = await dbHandle.sql<Array<{ name: string; state: string; n: number }>>`
    select task_identifier as name,
           case when locked_at is not null then 'running' when attempts >= max_attempts then 'failed' else 'queued' end as state,
           count(*)::int as n
    from graphile_worker.jobs group by 1, 2`;
  return rows.map((r) => ({ labels: { name: r.name, state: r.state }, value: r.n }));
}

async function closeAll(closers: Array<() => Promise<unknown> | unknown>): Promise<void> {
  for (const close of closers.reverse()) {
    try {
      await close();
    } catch {
      // Keep closing the rest: a half-closed process is worse than a noisy one.
    }
  }
}

/**
 * Commands fail at once while Redis is unreachable (no offline queue), so callers can fail open
 * instead of hanging; ioredis keeps reconnecting in the background.
 */
async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  redis.on('error', (err) => {
    if (!down) logger.error({ err: { message: err.message } }, 'redis unreachable; serving without it until it returns');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('redis reachable again');
    down = false;
  });
  await redis.connect().catch(() => {});
  return redis;
}

async function resolveStorage(env: Env, closers: Array<() => Promise<unknown> | unknown>): Promise<StorageConfig> {
  if (env.s3.endpoint) {
    return {
      endpoint: env.s3.endpoint,
      region: env.s3.region,
      accessKeyId: env.s3.accessKeyId!,
      secretAccessKey: env.s3.secretAccessKey!,
      forcePathStyle: env.s3.forcePathStyle,
      publicBucket: env.s3.publicBucket,
      privateBucket: env.s3.privateBucket,
      cdnBaseUrl: env.cdnBaseUrl ?? `${env.s3.endpoint}/${env.s3.publicBucket}`,
      presignTtlSeconds: env.presignTtlSeconds,
    };
  }
  const { startEmbeddedS3 } = await loadEmbedded('S3_ENDPOINT');
  const embedded = await startEmbeddedS3({
    dataDir: env.dataDir,
    publicBucket: env.s3.publicBucket,
    privateBucket: env.s3.privateBucket,
  });
  closers.push(() => embedded.close());
  return {
    ...embedded.config,
    cdnBaseUrl: env.cdnBaseUrl ?? embedded.config.cdnBaseUrl,
    presignTtlSeconds: env.presignTtlSeconds,
  };
}

/**
 * The embedded PostgreSQL and S3 server are a development dependency: loaded only when their variable
 * is unset, so a production install (DATABASE_URL and S3_ENDPOINT set) never needs them.
 */
async function loadEmbedded(variable: string): Promise<typeof Embedded> {
  try {
    return await import('@plyr/embedded');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new StartupError(`${variable} is not set and the embedded servers (@plyr/embedded, a development dependency) are not installed: set ${variable}`);
  }
}

/** Outside production a key is generated once and kept under DATA_DIR, so sessions survive restarts. */
function loadOrCreateEncryptionKey(dataDir: string, logger: Logger): Buffer {
  const file = join(dataDir, 'session-encryption-key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64'), { mode: 0o600 });
  logger.warn({ file }, 'SESSION_ENCRYPTION_KEY not set: generated one for this data directory (set it in production)');
  return key;
}
