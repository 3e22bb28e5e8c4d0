import type { RequestHandler } from 'express';
import cors from 'cors';
import type { OriginPolicy } from './origins.js';

const EXPOSED_HEADERS = ['X-Support-Required', 'Retry-After', 'RateLimit', 'RateLimit-Policy', 'X-Request-Id'];

/**
 * Credentialed CORS for allowed origins only. Other origins get no CORS header at all (the `cors`
 * package would still send Allow-Credentials and Allow-Methods on their preflights).
 */
export function corsPolicy(allowed: OriginPolicy): RequestHandler[] {
  const allowedCors = cors({ origin: true, credentials: true, exposedHeaders: EXPOSED_HEADERS, maxAge: 600 });
  return [
    (req, res, next) => {
      res.vary('Origin');
      const origin = req.headers.origin;
      if (allowed(origin)) return allowedCors(req, res, next);
      if (req.method === 'OPTIONS' && origin && req.headers['access-control-request-method']) {
        res.status(204).end();
        return;
      }
      next();
    },
  ];
}
