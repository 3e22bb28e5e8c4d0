import type { RequestHandler } from 'express';
import type { Metrics } from '@plyr/core/metrics';

/**
 * Route labels come from a fixed list, never from the raw path: a label per fileId or per
 * made-up URL would let any caller grow the metrics without bound.
 */
const ROUTES: ReadonlyArray<[prefix: string, label: string]> = [
  ['/audio/', '/audio/:fileId'],
  ['/trpc/', '/trpc'],
  ['/v1/', '/v1'],
  ['/auth/start', '/auth/start'],
  ['/auth/callback', '/auth/callback'],
  ['/health', '/health'],
  ['/ready', '/ready'],
  ['/openapi.json', '/openapi.json'],
  ['/docs', '/docs'],
  ['/oauth-client-metadata.json', '/oauth-client-metadata.json'],
  ['/.well-known/jwks.json', '/.well-known/jwks.json'],
];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function routeLabel(path: string): string {
  for (const [prefix, label] of ROUTES) if (path.startsWith(prefix)) return label;
  return 'other';
}

/** Counts every answered request and times it, by route label, method and status. */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    // Read now: mounted routers rewrite req.url while they handle it.
    const route = routeLabel(req.path);
    res.once('close', () => {
      const method = METHODS.has(req.method) ? req.method : 'other';
      metrics.httpRequests.inc({ route, method, status: String(res.statusCode) });
      metrics.httpDuration.observe({ route, method }, (performance.now() - started) / 1000);
    });
    next();
  };
}
