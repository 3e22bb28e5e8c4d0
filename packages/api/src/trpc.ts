import { initTRPC, TRPCError } from '@trpc/server';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { z } from 'zod';
import type { Services } from '@plyr/core';
import { isBackingServiceUnavailable } from '@plyr/core/unavailable';
import type { Viewer } from '@plyr/core/auth/index';

/** Rate-limit group of a procedure (SPEC.md "Rate limiting"); unset means `default`. */
export type RateLimitGroup = 'default' | 'auth' | 'upload';
/** `openapi` publishes the procedure as a REST route under /v1 (see openapi.ts). */
export type Meta = OpenApiMeta<{
  rateLimitGroup?: RateLimitGroup;
}>;

/** Most calls one HTTP batch may carry; the SDK's `maxItems` matches it. */
export const MAX_BATCH_SIZE = 20;
/** Largest request body accepted on /trpc. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What a procedure may touch; `createCaller` tests build it without HTTP. */
export interface InnerContext {
  services: Services;
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
}

export interface Context extends InnerContext {
  req?: Request;
  res?: Response;
}

export const SESSION_COOKIE = 'session_id';

const viewers = new WeakMap<Request, Promise<Viewer | null>>();

/**
 * The viewer of a request, resolved once however many layers ask (rate limiter, /audio, tRPC):
 * the session cookie first, then a bearer token.
 */
export function viewerOf(services: Services, req: Request): Promise<Viewer | null> {
  let viewer = viewers.get(req);
  if (!viewer) {
    viewer = services.auth.resolveViewer(credentialsOf(req));
    viewers.set(req, viewer);
  }
  return viewer;
}

export async function createContext(
  services: Services,
  http: { req: Request; res: Response; requestId: string; logger: Logger },
): Promise<Context> {
  const credentials = credentialsOf(http.req);
  const viewer = await viewerOf(services, http.req).catch((err: unknown) => {
    if (!isBackingServiceUnavailable(err)) throw err;
    throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'A backing service is unavailable; try again shortly', cause: err });
  });
  // A bearer token is presented on purpose: a dead one is an error, not a quiet sign-out. A stale
  // cookie is left anonymous so that public pages still load after a session ends.
  if (!viewer && credentials.bearerToken && !credentials.sessionToken) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'The bearer token is unknown, expired or revoked' });
  }
  return { services, viewer, ...http };
}

export function credentialsOf(req: Request): { sessionToken?: string; bearerToken?: string } {
  const sessionToken = readCookie(req.headers.cookie, SESSION_COOKIE);
  const auth = req.headers.authorization;
  const bearerToken = auth && /^Bearer /i.test(auth) ? auth.slice(7).trim() || undefined : undefined;
  return { sessionToken, bearerToken };
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw) || undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Input validation failures, per field, as clients receive them in `error.data.zodError`. */
export interface FieldErrors {
  formErrors: string[];
  fieldErrors: Record<string, string[] | undefined>;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    errorFormatter({ shape, error }) {
      const zodError: FieldErrors | null = error.cause instanceof z.ZodError ? z.flattenError(error.cause) : null;
      // Never leak driver or library messages from unexpected failures.
      const message = error.code === 'INTERNAL_SERVER_ERROR' ? 'Internal server error' : shape.message;
      const { stack: _stack, ...data } = shape.data;
      return { ...shape, message, data: { ...data, zodError } };
    },
  });

/** A lost database, Redis or storage connection is "try again", not a server bug. */
const unavailableOnLostConnection = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR') {
    if (isBackingServiceUnavailable(result.error.cause)) {
      throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'A backing service is unavailable; try again shortly', cause: result.error.cause });
    }
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(unavailableOnLostConnection);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.viewer) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
  return next({ ctx: { ...ctx, viewer: ctx.viewer } });
});
