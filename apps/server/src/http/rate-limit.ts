import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { rateLimit, type Logger as LimiterLogger, type RateLimitRequestHandler, type Store } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { REST_BASE_PATH, type RateLimitGroup } from '@plyr/api';
import type { Env, RateLimitRule } from '../env.js';
import { sendJsonError } from './json-errors.js';
import { clientKey, restCallGroup, trpcCallGroups } from './rate-limit-charges.js';
import { refuseTrpc } from './trpc.js';
import { createRateLimitStore, RateLimitStoreError, StoreOutage } from './rate-limit-store.js';

export interface RateLimitDeps {
  config: Env['rateLimit'];
  trustProxy: Env['trustProxy'];
  redis: Redis | null;
  logger: Logger;
}

interface GroupLimiter {
  store: Store;
  limiter: RateLimitRequestHandler;
}

const GROUPS: readonly RateLimitGroup[] = ['default', 'auth', 'upload'];

/**
 * SPEC.md "Rate limiting", mounted before the routes it protects (after CORS, so a 429 still
 * carries the CORS headers a browser app needs to read it; after /health and /ready, which are
 * never limited). `/trpc` pays one hit per call in its procedure's group, `/auth/*` one in `auth`,
 * everything else one in `default`. Disabled, it is an empty router.
 */
export function rateLimits({ config, trustProxy, redis, logger }: RateLimitDeps): Router {
  const router = Router();
  if (!config.enabled) return router;
  if (trustProxy === true) {
    logger.warn('TRUST_PROXY=true trusts every X-Forwarded-For hop: clients can choose their rate-limit key (set the hop count instead)');
  }

  const outage = new StoreOutage(logger);
  // express-rate-limit's own log lines; store failures are already logged once per outage above.
  const limiterLogger: LimiterLogger = {
    error: (err, message) => {
      if (!(err instanceof RateLimitStoreError)) logger.error({ err }, message ?? 'rate limiter error');
    },
    warn: (err, message) => logger.warn({ err }, message ?? 'rate limiter warning'),
  };

  const trpcRequests = new WeakSet<Request>();
  const limiters = Object.fromEntries(
    GROUPS.map((group) => {
      const rule = config[group];
      const store = createRateLimitStore(group, redis, outage);
      const limiter = rateLimit({
        limit: rule.limit,
        windowMs: rule.windowMs,
        // draft-8 names each policy (`"auth"; r=0; t=42`), so a batch that spans two groups reports
        // both in one response; draft-7 has one unnamed policy per response. Both use SPEC.md's
        // header names (`RateLimit`, `RateLimit-Policy`); draft-6 does not.
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        identifier: group,
        keyGenerator: clientKey,
        store,
        passOnStoreError: true,
        logger: limiterLogger,
        handler: (req, res, next) => tooManyRequests(req, res, next, group, rule, trpcRequests.has(req)),
      });
      return [group, { store, limiter }];
    }),
  ) as Record<RateLimitGroup, GroupLimiter>;

  router.use('/trpc', (req, res, next) => {
    trpcRequests.add(req);
    // Malformed or over the batch cap: one default hit, and the batch guard behind refuses it.
    const groups = trpcCallGroups(req) ?? ['default'];
    const charges = new Map<RateLimitGroup, number>();
    for (const group of groups) charges.set(group, (charges.get(group) ?? 0) + 1);
    const handlers = [...charges].flatMap(([group, cost]) => charge(limiters[group], cost));
    runInOrder(handlers, req, res, (err) => next(err ?? 'router'));
  });
  // A REST route pays in its procedure's group, like the same call on /trpc.
  router.use(REST_BASE_PATH, (req, res, next) => {
    runInOrder(charge(limiters[restCallGroup(req)], 1), req, res, (err) => next(err ?? 'router'));
  });
  router.use('/auth', ...charge(limiters.auth, 1), leave);
  router.use(...charge(limiters.default, 1), leave);
  return router;
}

// Done counting: skip the rest of this router (a /trpc or /auth request pays in one group only).
const leave: RequestHandler = (_req, _res, next) => next('router');

/**
 * Handlers that charge `cost` hits to one group. express-rate-limit counts one hit per request
 * and has no cost option, so the first `cost - 1` hits go straight to the group's store (the same
 * key and counter the limiter uses, incremented concurrently) and the limiter then counts the
 * last one itself: it sees the total, decides, and sets the headers once. A failed store call
 * here is already logged by the store; the limiter then fails open as well.
 */
function charge({ store, limiter }: GroupLimiter, cost: number): RequestHandler[] {
  if (cost <= 1) return [limiter];
  const prepay: RequestHandler = (req, _res, next) => {
    const key = clientKey(req);
    Promise.all(Array.from({ length: cost - 1 }, () => store.increment(key))).then(
      () => next(),
      () => next(),
    );
  };
  return [prepay, limiter];
}

/**
 * Runs Express handlers one after another as a single one: `done` gets the first error, or nothing.
 * Once a group has refused the request, the groups after it are not charged.
 */
function runInOrder(handlers: RequestHandler[], req: Request, res: Response, done: (err?: unknown) => void): void {
  const step = (index: number) => (err?: unknown) => {
    if (err || req.tooManyRequests) return done(err);
    const handler = handlers[index];
    if (!handler) return done();
    void handler(req, res, step(index + 1));
  };
  step(0)();
}

/**
 * A refused /trpc request goes on to tRPC, which answers every call with TOO_MANY_REQUESTS in its own
 * error shape (per call for a batch), so the SDK reads it like any error; the RateLimit headers are
 * already set. A request tRPC would not run (malformed, over the batch cap, HEAD) is answered here.
 */
function tooManyRequests(
  req: Request,
  res: Response,
  next: NextFunction,
  group: RateLimitGroup,
  rule: RateLimitRule,
  trpc: boolean,
): void {
  const message = `Too many requests: the ${group} limit is ${rule.text}; retry in ${String(res.getHeader('Retry-After'))} s`;
  if (!trpc) {
    sendJsonError(req, res, 429, 'TOO_MANY_REQUESTS', message);
    return;
  }
  if (req.method === 'HEAD' || trpcCallGroups(req) === null) {
    refuseTrpc(res, 429, 'TOO_MANY_REQUESTS', message);
    return;
  }
  req.tooManyRequests = message;
  next();
}
