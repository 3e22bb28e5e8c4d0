import type { IncomingHttpHeaders } from 'node:http';
import { parseCookie } from 'cookie';
import type { RequestHandler } from 'express';
import type { Services } from '@plyr/core';
import type { Credentials, ResolvedCredential } from '@plyr/core/auth';
import { SESSION_COOKIE } from './session-cookie.js';

/** A request's credential as every layer reads it: the rate limiter, CSRF, /audio and tRPC. */
export interface RequestCredential extends ResolvedCredential {
  /** The request carries our session cookie (whatever its value): what cross-site protection is about. */
  hasSessionCookie: boolean;
}

declare module 'http' {
  interface IncomingMessage {
    /** Set by `credentials` before any route runs. */
    credential: RequestCredential;
  }
}

const BEARER = /^Bearer /i;

/** The session cookie and the bearer token of a request, as sent. */
export function credentialsOf(headers: IncomingHttpHeaders): Credentials & { hasSessionCookie: boolean } {
  const cookies = headers.cookie ? parseCookie(headers.cookie) : {};
  const auth = headers.authorization;
  const bearerToken = auth && BEARER.test(auth) ? auth.slice(7).trim() || undefined : undefined;
  return { sessionToken: cookies[SESSION_COOKIE] || undefined, bearerToken, hasSessionCookie: SESSION_COOKIE in cookies };
}

/**
 * Resolves the request's credential once (the cookie first, then a bearer token) and attaches the
 * result; nothing behind it looks a credential up again. A failed lookup is attached, not thrown:
 * each layer answers it in its own way (the rate limiter keys by address, tRPC answers 503).
 */
export function credentials(services: Services): RequestHandler {
  return (req, _res, next) => {
    const { hasSessionCookie, ...credentials } = credentialsOf(req.headers);
    services.auth.resolveCredential(credentials).then((resolved) => {
      req.credential = { ...resolved, hasSessionCookie };
      next();
    }, next);
  };
}
