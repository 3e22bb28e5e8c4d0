import { Router } from 'express';
import type { Services } from '@plyr/core';
import type { Draining } from './draining.js';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref()),
  ]);
}

/**
 * `/health`: the process answers. `/ready`: its dependencies answer too and it is not shutting down
 * (load balancers use this).
 */
export function healthRoutes(services: Services, draining: Draining): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    if (draining.active) {
      res.locals.intended5xx = true;
      res.status(503).json({ status: 'draining', checks: {}, failed: [] });
      return;
    }
    const checks: Record<string, () => Promise<unknown>> = {
      postgres: () => services.db.execute('select 1'),
      storage: () => services.storage.ping(),
    };
    if (services.redis) checks.redis = () => services.redis!.ping();
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          return [name, 'ok'] as const;
        } catch {
          return [name, 'failed'] as const;
        }
      }),
    );
    const failed = results.filter(([, r]) => r === 'failed').map(([n]) => n);
    // Without Redis the API still serves (rate limits fail open, caches go upstream): degraded, not down.
    const status = failed.length === 0 ? 'ok' : failed.every((n) => n === 'redis') ? 'degraded' : 'unavailable';
    res.status(failed.length === 0 ? 200 : 503).json({ status, checks: Object.fromEntries(results), failed });
  });
  return router;
}
