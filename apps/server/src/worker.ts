// Job worker alone (no HTTP): run several of these to scale out move and record jobs.
// Start API instances with WORKER_ENABLED=false when workers run separately.
import { loadEnvOrExit } from './env.js';
import { exitOnStartupError, listenError } from './startup-errors.js';

const env = loadEnvOrExit();
if (!env.databaseUrl) {
  // The embedded database belongs to the API process; a second process cannot share its data directory.
  console.error('invalid environment: DATABASE_URL: the separate worker needs a shared PostgreSQL (without it the API runs the jobs itself)');
  process.exit(1);
}
// Loaded after validation so a bad variable is reported before any heavy module loads.
const { createAppContext } = await import('./context.js');
const { startMetricsServer } = await import('./metrics-server.js');
const ctx = await createAppContext(env, { runWorker: true }).catch(exitOnStartupError);
const metricsServer = env.metrics
  ? await startMetricsServer({ metrics: ctx.services.metrics, ...env.metrics }).catch(async (err: unknown) => {
      await ctx.destroy();
      return exitOnStartupError(listenError(err, env.metrics!, { port: 'METRICS_PORT', host: 'METRICS_HOST' }));
    })
  : null;
ctx.services.logger.info('plyr worker running');
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await metricsServer?.close();
  await ctx.destroy();
  process.exit(0);
};
// `on`, not `once`: a loader's signal relay (tsx) re-raises the signal when no listener is left.
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
