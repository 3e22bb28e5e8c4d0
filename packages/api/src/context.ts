import { TRPCError } from '@trpc/server';
import type { Logger } from 'pino';
import type { Services } from '@plyr/core';
import type { ResolvedCredential, Viewer } from '@plyr/core/auth';
import { isBackingServiceUnavailable } from '@plyr/core/unavailable';

/** How a procedure opens or ends a browser session; the host owns the cookie's name and attributes. */
export interface SessionCookie {
  set(sessionToken: string): void;
  clear(): void;
}

/** What a procedure may touch: plain values, no transport. `createCaller` tests build it by hand. */
export interface InnerContext {
  services: Services;
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
  /** Null when there is no browser to hold a cookie (a `createCaller` test, a non-HTTP caller). */
  sessionCookie: SessionCookie | null;
}

export type Context = InnerContext;

/** What the host has already worked out about a request, once, before tRPC (or REST) sees it. */
export interface RequestValues {
  services: Services;
  credential: ResolvedCredential;
  requestId: string;
  logger: Logger;
  sessionCookie: SessionCookie | null;
  /** Set when the rate limiter refused the request: every call in it is answered 429 with this message. */
  tooManyRequests?: string;
}

/**
 * The one way a request becomes a procedure context (tRPC's handler and the REST routes both use it).
 * Throwing here makes tRPC answer every call of the request with that error, in its own error shape.
 */
export function createContext(values: RequestValues): Context {
  const { services, credential, requestId, logger, sessionCookie } = values;
  if (values.tooManyRequests) throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: values.tooManyRequests });
  if (credential.failure !== undefined) {
    if (!isBackingServiceUnavailable(credential.failure)) throw credential.failure;
    throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'A backing service is unavailable; try again shortly', cause: credential.failure });
  }
  if (credential.deadBearer) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'The bearer token is unknown, expired or revoked' });
  }
  return { services, viewer: credential.viewer, requestId, logger, sessionCookie };
}
