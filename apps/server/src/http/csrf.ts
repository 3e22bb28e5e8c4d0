import type { RequestHandler } from 'express';
import { sendJsonError } from './json-errors.js';
import type { OriginPolicy } from './origins.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A state-changing request that carries the session cookie and an Origin we do not allow is refused.
 * SameSite=Lax already stops most of these; this also covers same-site subdomains and old browsers.
 */
export function csrfGuard(allowed: OriginPolicy, cookieName: string): RequestHandler {
  const cookiePattern = new RegExp(`(?:^|;\\s*)${cookieName}=`);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (
      !SAFE_METHODS.has(req.method) &&
      origin !== undefined &&
      cookiePattern.test(req.headers.cookie ?? '') &&
      !allowed(origin)
    ) {
      sendJsonError(req, res, 403, 'FORBIDDEN', 'Cross-site request refused');
      return;
    }
    next();
  };
}
