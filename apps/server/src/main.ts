import { createServer, type Server } from 'node:http';
import { loadEnvOrExit } from './env.js';
import { exitOnStartupError, listenError } from './startup-errors.js';

/** In-flight requests get this long to finish once the listener is closed. */
const SHUTDOWN_DEADLINE_MS = 10_000;

const env = loadEnvOrExit();

// Loaded after validation so a bad variable is reported before any heavy module loads.
const { createAppContext } = await import('./context.js');
const { createApp } = await import('./app.js');
const { Draining } = await import('./http/draining.js');
const { startMetricsServer } = await import('./metrics-server.js');
const ctx = await createAppContext(env).catch(exitOnStartupError);
const metricsServer = env.metrics
  ? await startMetricsServer({ metrics: ctx.services.metrics, ...env.metrics }).catch(async (err: unknown) => {
      await ctx.destroy();
      return exitOnStartupError(listenError(err, env.metrics!, { port: 'METRICS_PORT', host: 'METRICS_HOST' }));
    })
  : null;
const { logger } = ctx.services;
const draining = new Draining();
const server: Server = createServer(createApp(ctx, { draining }));
server.keepAliveTimeout = 65_000;
try {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.port, env.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
} catch (err) {
  await metricsServer?.close();
  await ctx.destroy();
  exitOnStartupError(listenError(err, env));
}
logger.info({ url: `http://${env.host}:${env.port}`, appEnv: env.appEnv, ...ctx.backing }, 'plyr API listening');

/**
 * SIGTERM (a deployment): `/ready` fails at once while requests are still served for
 * SHUTDOWN_DRAIN_SECONDS, so the balancer's health check takes the instance out before it stops
 * listening; then in-flight requests finish and pools close, with a forced exit after the deadline.
 * SIGINT (Ctrl-C) skips the drain; a second signal cuts a drain short.
 */
let shuttingDown = false;
let endDrain = () => {};
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (shuttingDown) {
    endDrain();
    return;
  }
  shuttingDown = true;
  draining.start();
  const drainMs = signal === 'SIGTERM' ? env.shutdownDrainMs : 0;
  logger.info({ signal, drainMs }, 'shutting down: not ready, still serving while balancers drain this instance');
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, drainMs);
    endDrain = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  logger.info('drained: closing the listener, finishing requests in flight');
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
