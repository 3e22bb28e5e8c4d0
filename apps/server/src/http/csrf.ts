import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { sendJsonError } from './json-errors.js';
import type { OriginPolicy } from './origins.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A state-changing request that carries the session cookie is refused when its Origin is not
 * allowed, or, with no Origin, when the browser's fetch metadata says it comes from another site.
 * SameSite=Lax already stops most of these; this also covers same-site subdomains and old browsers.
 * Requests with neither header (non-browser clients) pass: they carry no cookie of ours in practice.
 */
export function csrfGuard(allowed: OriginPolicy): RequestHandler {
  return (req, res, next) => {
    if (!SAFE_METHODS.has(req.method) && req.credential.hasSessionCookie && isCrossSite(req.headers, allowed)) {
      sendJsonError(req, res, 403, 'FORBIDDEN', 'Cross-site request refused');
      return;
    }
    next();
  };
}

function isCrossSite(headers: IncomingHttpHeaders, allowed: OriginPolicy): boolean {
  if (headers.origin !== undefined) return !allowed(headers.origin);
  return headers['sec-fetch-site'] === 'cross-site';
}
