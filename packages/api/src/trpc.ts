import { initTRPC, TRPCError } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { z } from 'zod';
import { isBackingServiceUnavailable } from '@plyr/core/unavailable';
import type { Context } from './context.js';

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
