import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { MAX_TOKEN_DAYS, MAX_TOKEN_NAME_LENGTH } from '@plyr/core/auth';
import type { SessionCookie } from '../context.js';
import { protectedProcedure, publicProcedure } from '../trpc.js';
import { plainText } from '../inputs.js';

function requireCookie(cookie: SessionCookie | null): SessionCookie {
  if (!cookie) throw new TRPCError({ code: 'BAD_REQUEST', message: 'cookie mode needs an HTTP request; use mode "token"' });
  return cookie;
}

const exchangeInput = z.object({
  exchangeToken: z.string().min(1).max(256),
  mode: z.enum(['cookie', 'token']),
});

const createTokenInput = z.object({
  name: plainText(MAX_TOKEN_NAME_LENGTH),
  expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).optional(),
});

export const authRouter = {
  /** Turns the callback's one-time token into a session: a cookie (browser) or a bearer token (SDK). */
  exchange: publicProcedure
    .meta({ rateLimitGroup: 'auth' })
    .input(exchangeInput)
    .mutation(async ({ ctx, input }) => {
      const cookie = input.mode === 'cookie' ? requireCookie(ctx.sessionCookie) : undefined;
      const session = await ctx.services.auth.exchange(input.exchangeToken);
      if (!session) {
        throw new TRPCError({ code: 'UNAUTHORIZED', message: 'exchange token is unknown, expired or already used' });
      }
      if (cookie) {
        cookie.set(session.sessionToken);
        return { did: session.did, handle: session.handle };
      }
      return { did: session.did, handle: session.handle, token: session.sessionToken };
    }),

  me: protectedProcedure
    .meta({ openapi: { method: 'GET', path: '/me', tags: ['auth'], summary: 'Who the credentials belong to' } })
    .output(z.object({ did: z.string(), handle: z.string() }))
    .query(({ ctx }) => ({ did: ctx.viewer.did, handle: ctx.viewer.handle })),

  /** Idempotent: ends the session if there is one, and always clears the cookie (a stale one included). */
  logout: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.viewer) await ctx.services.auth.logout(ctx.viewer);
    ctx.sessionCookie?.clear();
    return { success: true as const };
  }),

  developerTokens: {
    /** Shown once. Only a signed-in session may mint tokens, so a leaked token cannot perpetuate itself. */
    create: protectedProcedure
      .meta({
        rateLimitGroup: 'auth',
        openapi: {
          method: 'POST',
          path: '/developer-tokens',
          tags: ['auth'],
          summary: 'Create a developer token (shown once)',
          description: 'Only a signed-in session may create one: a developer token cannot create another.',
          errorResponses: { 403: 'Developer tokens cannot create developer tokens; use a session' },
        },
      })
      .input(createTokenInput)
      .output(z.object({ id: z.uuid(), token: z.string(), expiresAt: z.iso.datetime() }))
      .mutation(async ({ ctx, input }) => {
        if (!ctx.viewer.sessionTokenHash) {
          throw new TRPCError({ code: 'FORBIDDEN', message: 'developer tokens cannot create developer tokens; sign in' });
        }
        const created = await ctx.services.auth.developerTokens.create(ctx.viewer.did, input);
        return { id: created.id, token: created.token, expiresAt: created.expiresAt.toISOString() };
      }),

    list: protectedProcedure
      .meta({ openapi: { method: 'GET', path: '/developer-tokens', tags: ['auth'], summary: "The viewer's live developer tokens, without their secrets" } })
      .output(
        z.object({
          tokens: z.array(z.object({ id: z.uuid(), name: z.string(), createdAt: z.iso.datetime(), expiresAt: z.iso.datetime() })),
        }),
      )
      .query(async ({ ctx }) => {
      const tokens = await ctx.services.auth.developerTokens.list(ctx.viewer.did);
      return {
        tokens: tokens.map((t) => ({
          id: t.id,
          name: t.name,
          createdAt: t.createdAt.toISOString(),
          expiresAt: t.expiresAt.toISOString(),
        })),
      };
    }),

    revoke: protectedProcedure
      .meta({
        openapi: {
          method: 'DELETE',
          path: '/developer-tokens/{id}',
          tags: ['auth'],
          summary: 'Revoke a developer token; it stops working at once',
          errorResponses: { 404: 'No such active developer token' },
        },
      })
      .input(z.object({ id: z.uuid() }))
      .output(z.object({ success: z.literal(true) }))
      .mutation(async ({ ctx, input }) => {
      if (!(await ctx.services.auth.developerTokens.revoke(ctx.viewer.did, input.id))) {
        throw new TRPCError({ code: 'NOT_FOUND', message: 'no such active developer token' });
      }
      return { success: true as const };
    }),
  },
} satisfies TRPCRouterRecord;
