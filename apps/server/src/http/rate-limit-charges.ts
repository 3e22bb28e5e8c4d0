import type { Request } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { MAX_BATCH_SIZE, procedureAt, restRoutes, type RateLimitGroup } from '@plyr/api';

/**
 * Who pays for a request: the account (DID) behind its live credential, so every cookie and token
 * of one account shares one budget per group; else its address as Express derives it under
 * `trust proxy`. A made-up or dead credential counts as none (else each new one would be a fresh
 * budget), and so does a failed lookup (database down). With no proxy trusted the address is the
 * socket's, so a client cannot pick its key with X-Forwarded-For. IPv6 addresses count per /56,
 * the block one subscriber usually holds.
 */
export function clientKey(req: Request): string {
  const viewer = req.credential.viewer;
  return viewer ? `account:${viewer.did}` : `ip:${req.ip ? ipKeyGenerator(req.ip) : 'unknown'}`;
}

/**
 * The rate-limit group of each call of a /trpc request (mounted there, so `req.path` is what tRPC
 * sees), read the way tRPC reads them: the last path segment, URI-decoded, split on commas when
 * `batch=1`. Unknown procedures count in the default group. Null when the request is malformed or
 * over the batch cap: it is refused before any procedure runs.
 */
export function trpcCallGroups(req: Request): RateLimitGroup[] | null {
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
  return paths.map((p) => procedureAt(p)?.rateLimitGroup ?? 'default');
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
