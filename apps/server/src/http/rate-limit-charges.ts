import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { AnyTRPCProcedure, TRPCProcedureType } from '@trpc/server';
import { appRouter, credentialsOf, MAX_BATCH_SIZE, restRoutes, type Meta, type RateLimitGroup } from '@plyr/api';
import type { Viewer } from '@plyr/core/auth/index';

export type ViewerLookup = (req: Request) => Promise<Viewer | null>;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Who pays for a request: its live session cookie, else its live bearer token (both hashed, so
 * Redis never holds a credential), else its address as Express derives it under `trust proxy`. With no proxy
 * trusted that is the socket's address, so a client cannot pick its key with X-Forwarded-For.
 * IPv6 addresses count per /56, the block one subscriber usually holds.
 */
export function clientKey(req: Request): string {
  return clientKeys.get(req) ?? ipKey(req);
}

const clientKeys = new WeakMap<Request, string>();

/**
 * Works out the request's key once, before any limiter runs. A credential is the key only when it
 * belongs to a live session or token: otherwise a client could send a new made-up cookie on every
 * request and get a fresh counter each time. A failed lookup (database down) keys by address.
 */
export function resolveClientKey(viewerOf: ViewerLookup): RequestHandler {
  return (req, _res, next) => {
    const { sessionToken, bearerToken } = credentialsOf(req);
    if (!sessionToken && !bearerToken) return next();
    viewerOf(req).then(
      (viewer) => {
        if (viewer?.via === 'cookie' && sessionToken) clientKeys.set(req, `session:${sha256(sessionToken)}`);
        else if (viewer && bearerToken) clientKeys.set(req, `token:${sha256(bearerToken)}`);
        next();
      },
      () => next(),
    );
  };
}

function ipKey(req: Request): string {
  return `ip:${req.ip ? ipKeyGenerator(req.ip) : 'unknown'}`;
}

export interface TrpcCall {
  path: string;
  type: TRPCProcedureType | 'unknown';
  group: RateLimitGroup;
}

export interface TrpcRequest {
  calls: TrpcCall[];
  batch: boolean;
}

// Typed like the nested router record, but at run time tRPC 11 keeps it flat: dotted path → procedure.
const flatProcedures = appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>;
const procedures = new Map(
  Object.entries(flatProcedures).map(([path, procedure]) => [
    path,
    { type: procedure._def.type, group: (procedure._def.meta as Meta | undefined)?.rateLimitGroup ?? 'default' },
  ]),
);

/**
 * The calls of a /trpc request (mounted there, so `req.path` is what tRPC sees), read the way
 * tRPC reads them: the last path segment, URI-decoded, split on commas when `batch=1`. Unknown
 * procedures count in the default group. Null when the request is malformed or over the batch
 * cap: it is refused before any procedure runs.
 */
export function trpcCalls(req: Request): TrpcRequest | null {
  let batch: boolean;
  let path: string;
  try {
    batch = new URL(req.originalUrl, 'http://localhost').searchParams.get('batch') === '1';
    path = decodeURIComponent(req.path.slice(req.path.lastIndexOf('/') + 1));
  } catch {
    return null;
  }
  const paths = batch ? path.split(',') : [path];
  if (paths.length > MAX_BATCH_SIZE) return null;
  const calls = paths.map((p) => ({ path: p, ...(procedures.get(p) ?? { type: 'unknown' as const, group: 'default' as const }) }));
  return { calls, batch };
}

// Matched the way trpc-to-openapi matches them: `{param}` is one path segment, case-insensitive.
const restMatchers = restRoutes.map((route) => ({
  method: route.method as string,
  pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`, 'i'),
  group: route.group,
}));

/** The rate-limit group of a REST request (mounted at /v1): its procedure's, else `default`. */
export function restCallGroup(req: Request): RateLimitGroup {
  const path = `/${req.path.replace(/^\/|\/$/g, '')}`;
  return restMatchers.find((route) => route.method === req.method && route.pattern.test(path))?.group ?? 'default';
}
