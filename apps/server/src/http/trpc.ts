import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { TRPCError } from '@trpc/server';
import { append as appendVary } from 'vary';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { appRouter, createContext, MAX_BATCH_SIZE, MAX_BODY_BYTES, type Context } from '@plyr/api';
import type { Services } from '@plyr/core';
import { sessionCookieOf } from './session-cookie.js';

declare module 'http' {
  interface IncomingMessage {
    /** Set by the rate limiter when it refuses a /trpc request; tRPC answers every call with it. */
    tooManyRequests?: string;
  }
}

/**
 * The procedure context of an HTTP request, from what the middleware before resolved (the credential,
 * the request id and logger, a rate-limit refusal). Every adapter that runs procedures (tRPC, REST) uses it.
 */
export function requestContext(services: Services, cookieSecure: boolean, req: Request, res: Response): Context {
  return createContext({
    services,
    credential: req.credential,
    requestId: req.id,
    logger: req.log,
    sessionCookie: sessionCookieOf(res, cookieSecure),
    tooManyRequests: req.tooManyRequests,
  });
}

/** Procedure paths of a /trpc request: `/a.b,c.d` → ['a.b', 'c.d']. */
export function procedurePaths(path: string): string[] {
  return decodeURIComponent(path.replace(/^\/+/, '')).split(',').filter(Boolean);
}

/** An error in tRPC's wire shape, for requests refused before tRPC runs. */
export function refuseTrpc(res: Response, status: number, code: TRPC_ERROR_CODE_KEY, message: string): void {
  res.status(status).json({ error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus: status } } });
}

/**
 * Refuses, before any work is done, batches above the cap (tRPC itself has no limit) and declared
 * bodies above the size limit (tRPC checks size only for procedures that read their input).
 */
export const trpcRequestGuard: RequestHandler = (req, res, next) => {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    refuseTrpc(res, 413, 'PAYLOAD_TOO_LARGE', `A request body may hold at most ${MAX_BODY_BYTES} bytes`);
    return;
  }
  let count: number;
  try {
    count = procedurePaths(req.path).length;
  } catch {
    count = Infinity;
  }
  if (count > MAX_BATCH_SIZE) {
    refuseTrpc(res, 400, 'BAD_REQUEST', `A batch may hold at most ${MAX_BATCH_SIZE} calls`);
    return;
  }
  next();
};

/** tRPC sets `Vary: trpc-accept` with setHeader, which would drop the `Vary: Origin` CORS needs. */
export const keepVary: RequestHandler = (_req, res, next) => {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => {
    // The name first: tRPC sets every response header through here.
    const existing = name.length === 4 && name.toLowerCase() === 'vary' ? res.getHeader('vary') : undefined;
    return existing ? setHeader(name, appendVary(String(existing), String(value))) : setHeader(name, value);
  };
  next();
};

/** `cookieSecure`: the session cookie's `Secure` flag (Env.cookieSecure). */
export function trpcHandler(services: Services, cookieSecure: boolean): RequestHandler {
  return createExpressMiddleware({
    router: appRouter,
    maxBodySize: MAX_BODY_BYTES,
    createContext: ({ req, res }) => requestContext(services, cookieSecure, req, res),
    onError: ({ error, ctx, req, path }) => logProcedureFailure(ctx?.logger ?? req.log ?? services.logger, error, path),
  });
}

/** Client mistakes are answered, not logged; server faults are logged once, with the request id (/trpc and /v1). */
export function logProcedureFailure(logger: Logger, error: TRPCError, path: string | undefined): void {
  if (error.code === 'INTERNAL_SERVER_ERROR' || error.code === 'SERVICE_UNAVAILABLE') {
    logger.error({ err: error.cause ?? error, path }, 'procedure failed');
  }
}
