import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { Env } from '../env.js';

/** SPEC.md "Every HTTP response": helmet for the standard set, plus the legacy XSS header it no longer writes. */
export function securityHeaders(env: Pick<Env, 'appEnv'>): RequestHandler[] {
  return [
    helmet({
      // An API answers JSON and redirects: nothing on it should load anything.
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      // helmet's default CORP `same-origin` would stop <audio> on plyr.fm (another origin) from following /audio.
      crossOriginResourcePolicy: { policy: 'cross-origin' },
      crossOriginEmbedderPolicy: false,
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
      strictTransportSecurity:
        env.appEnv === 'production' ? { maxAge: 31_536_000, includeSubDomains: true, preload: false } : false,
      xXssProtection: false,
    }),
    (_req, res, next) => {
      res.setHeader('X-XSS-Protection', '1; mode=block');
      next();
    },
  ];
}
