import express from 'express';
import { createAppContext, loadEnv } from '@plyr/server';
// The product's own middleware factories, so the floor can never drift from the product's configuration.
import { corsPolicy } from '../../../apps/server/src/http/cors.js';
import { credentials } from '../../../apps/server/src/http/credentials.js';
import { originPolicy } from '../../../apps/server/src/http/origins.js';
import { rateLimits } from '../../../apps/server/src/http/rate-limit.js';
import { securityHeaders } from '../../../apps/server/src/http/security-headers.js';

/**
 * The floor of our stack: Express 5 with the product's helmet, CORS and Redis-backed rate-limit
 * middleware, built from the same environment and services as the API, answering a constant-shape
 * 307. What the frameworks cost before any work of ours (no logging, no database read, no route logic).
 */
const env = loadEnv(process.env);
const ctx = await createAppContext(env, { runWorker: false });
const cdnBaseUrl = process.env.CDN_BASE_URL!;

const app = express();
app.disable('x-powered-by');
app.set('trust proxy', env.trustProxy);
app.use(securityHeaders(env));
app.use(corsPolicy(originPolicy(env)));
// As apps/server/src/app.ts mounts them: the limiter keys by the credential resolved here (none, on the floor's requests).
app.use(credentials(ctx.services));
app.use(rateLimits({ config: env.rateLimit, trustProxy: env.trustProxy, redis: ctx.services.redis, logger: ctx.services.logger }));
app.get('/audio/:fileId', (req, res) => {
  res.redirect(307, `${cdnBaseUrl}/audio/${req.params.fileId}.mp3`);
});
app.listen(env.port, env.host);

// A normal exit, so `--cpu-prof` writes its profile.
process.once('SIGTERM', () => void ctx.destroy().finally(() => process.exit(0)));
