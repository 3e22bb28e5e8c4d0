import type { Server } from 'node:http';
import { loadEnvOrExit } from './env.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

const env = loadEnvOrExit();

// Loaded after validation so a bad variable is reported before any heavy module loads.
const { createAppContext } = await import('./context.js');
const { createApp } = await import('./app.js');
const { startMetricsServer } = await import('./metrics-server.js');
const ctx = await createAppContext(env);
const metricsServer = env.metrics ? await startMetricsServer({ metrics: ctx.services.metrics, ...env.metrics }) : null;
const { logger } = ctx.services;
const app = createApp(ctx);
const server: Server = app.listen(env.port, env.host, () => {
  logger.info({ url: `http://${env.host}:${env.port}`, appEnv: env.appEnv, ...ctx.backing }, 'plyr API listening');
});
server.keepAliveTimeout = 65_000;

/** Stop accepting, let in-flight requests finish, close pools; forced exit after the deadline. */
let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, 'shutting down');
  const deadline = setTimeout(() => {
    logger.error('shutdown deadline passed; exiting');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  await metricsServer?.close();
  await ctx.destroy();
  clearTimeout(deadline);
  process.exit(0);
}
// `on`, not `once`: a loader's signal relay (tsx) re-raises the signal when no listener is left.
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
