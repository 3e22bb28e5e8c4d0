export { createApp } from './app.js';
export { createAppContext, type AppContext, type AppContextOptions } from './context.js';
export { loadEnv, EnvError, type Env } from './env.js';
export { DEFAULT_RECONCILE_SCHEDULE, jobCrontab, jobProcessors, startJobWorker, type JobDeps, type JobWorkerOptions } from './jobs.js';
export { startMetricsServer } from './metrics-server.js';
