import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createTestDatabase, createTestRedisUrl, freePort, startTestS3, storageEnv } from '@plyr/testing';
import { createApp, createAppContext, loadEnv, startMetricsServer, type AppContext } from '../../src/index.js';

export interface TestApp {
  url: string;
  ctx: AppContext;
  services: AppContext['services'];
  /** Every log line written so far (tests scan it for leaked secrets). */
  logs: string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Reuse these instead of fresh ones (e.g. two instances on one database and Redis). */
  databaseUrl?: string;
  redisUrl?: string | null;
  s3Env?: Record<string, string>;
  runWorker?: boolean;
}

/**
 * A real API server on 127.0.0.1 against a database of its own, the worker's Redis db and a fresh
 * S3-compatible server. `env` takes SPEC.md variable names and wins over the test defaults.
 */
export async function startTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const port = await freePort();
  let databaseUrl = options.databaseUrl;
  if (!databaseUrl) {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    databaseUrl = database.url;
  }
  const redisUrl = options.redisUrl === undefined ? await createTestRedisUrl() : options.redisUrl;
  let s3Env = options.s3Env;
  if (!s3Env) {
    const s3 = await startTestS3();
    cleanups.push(() => s3.close());
    s3Env = storageEnv(s3.config);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'plyr-test-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));

  const logs: string[] = [];
  const logDestination = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const parsed = loadEnv({
    APP_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://localhost:${port}`,
    FRONTEND_URL: 'http://localhost:5173',
    DATABASE_URL: databaseUrl,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    ...s3Env,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ATPROTOFANS_URL: 'http://127.0.0.1:1',
    // Most tests' viewers are made-up DIDs no directory knows; tests of attested.network name the sources they use.
    SUPPORTER_SOURCES: 'atprotofans',
    ...env,
  });
  const ctx = await createAppContext(parsed, { logDestination, runWorker: options.runWorker });
  const server: Server = await new Promise((resolve) => {
    const s = createApp(ctx).listen(port, '127.0.0.1', () => resolve(s));
  });
  if (parsed.metrics) {
    const metricsServer = await startMetricsServer({ metrics: ctx.services.metrics, ...parsed.metrics });
    cleanups.push(() => metricsServer.close());
  }
  return {
    url: `http://localhost:${port}`,
    ctx,
    services: ctx.services,
    logs,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await ctx.destroy();
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}
