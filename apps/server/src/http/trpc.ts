import type { RequestHandler } from 'express';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { appRouter, createContext, MAX_BATCH_SIZE, MAX_BODY_BYTES } from '@plyr/api';
import type { Services } from '@plyr/core';

/** Procedure paths of a /trpc request: `/a.b,c.d` → ['a.b', 'c.d']. */
export function procedurePaths(path: string): string[] {
  return decodeURIComponent(path.replace(/^\/+/, '')).split(',').filter(Boolean);
}

/** Refuses batches above the cap before any work is done (tRPC itself has no limit). */
export const batchGuard: RequestHandler = (req, res, next) => {
  let count: number;
  try {
    count = procedurePaths(req.path).length;
  } catch {
    count = Infinity;
  }
  if (count > MAX_BATCH_SIZE) {
    res.status(400).json({
      error: {
        message: `A batch may hold at most ${MAX_BATCH_SIZE} calls`,
        code: -32600,
        data: { code: 'BAD_REQUEST', httpStatus: 400 },
      },
    });
    return;
  }
  next();
};

export function trpcHandler(services: Services): RequestHandler {
  return createExpressMiddleware({
    router: appRouter,
    maxBodySize: MAX_BODY_BYTES,
    createContext: ({ req, res }) => createContext(services, { req, res, requestId: String(req.id), logger: req.log }),
    onError({ error, ctx, req, path }) {
      // Client mistakes are answered, not logged; server faults are logged once, with the request id.
      if (error.code === 'INTERNAL_SERVER_ERROR' || error.code === 'SERVICE_UNAVAILABLE') {
        (ctx?.logger ?? req.log ?? services.logger).error({ err: error.cause ?? error, path }, 'procedure failed');
      }
    },
  });
}
