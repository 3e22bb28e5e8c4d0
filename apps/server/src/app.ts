import express, { type ErrorRequestHandler, type Express } from 'express';
import type { AppContext } from './context.js';
import { corsPolicy } from './http/cors.js';
import { credentials } from './http/credentials.js';
import { csrfGuard } from './http/csrf.js';
import { closeConnectionsWhileDraining, Draining } from './http/draining.js';
import { healthRoutes } from './http/health.js';
import { originPolicy } from './http/origins.js';
import { rateLimits } from './http/rate-limit.js';
import { requestLogging } from './http/request-logging.js';
import { requestMetrics } from './http/request-metrics.js';
import { securityHeaders } from './http/security-headers.js';
import { keepVary, trpcHandler, trpcRequestGuard } from './http/trpc.js';
import { authRoutes } from './http/auth-routes.js';
import { audioRoutes } from './http/audio.js';
import { apiDocs } from './http/api-docs.js';
import { sendJsonError } from './http/json-errors.js';
import { restApi } from './http/rest.js';

export interface AppOptions {
  /** Shared with the shutdown sequence (main.ts), which starts it on SIGTERM. */
  draining?: Draining;
}

/** The HTTP surface, in the order a request meets it. No `listen` here: tests mount it on port 0. */
export function createApp(ctx: AppContext, options: AppOptions = {}): Express {
  const draining = options.draining ?? new Draining();
  const { env, services } = ctx;
  const allowedOrigin = originPolicy(env);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', env.trustProxy);

  app.use(requestLogging(services.logger));
  app.use(closeConnectionsWhileDraining(draining));
  app.use(requestMetrics(services.metrics));
  app.use(securityHeaders(env));
  app.use(corsPolicy(allowedOrigin));
  app.use(healthRoutes(services, draining));
  app.use(credentials(services));
  app.use(csrfGuard(allowedOrigin));
  app.use(rateLimits({ config: env.rateLimit, trustProxy: env.trustProxy, redis: services.redis, logger: services.logger }));
  app.use(authRoutes(services, env.frontendUrl));
  app.use(audioRoutes(services));
  app.use('/trpc', trpcRequestGuard, keepVary, trpcHandler(services, env.cookieSecure));
  app.use(restApi(services, env.cookieSecure));
  app.use(apiDocs(env.publicUrl));

  app.use((req, res) => sendJsonError(req, res, 404, 'NOT_FOUND', 'No such route'));
  app.use(errorHandler);
  return app;
}

/** Last resort: a clear status and a generic message, never a stack trace. */
const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 600 ? err.status : 500;
  if (status >= 500) req.log?.error({ err }, 'unhandled error');
  if (res.headersSent) return;
  if (status >= 500) sendJsonError(req, res, status, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  else sendJsonError(req, res, status, 'BAD_REQUEST', 'Bad request');
};
