import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { isDid, SUPPORTER_SOURCE_NAMES } from '@plyr/core/supporters';
import { protectedProcedure } from '../trpc.js';

export const MAX_ARTISTS_PER_CHECK = 100;

const did = z.string().max(2048).refine(isDid, 'must be a valid did:plc or did:web');

const artistDidList = z
  .array(did)
  .max(MAX_ARTISTS_PER_CHECK * 2)
  .transform((dids) => [...new Set(dids)])
  .refine((dids) => dids.length <= MAX_ARTISTS_PER_CHECK, `at most ${MAX_ARTISTS_PER_CHECK} distinct artists`);

export const supportersRouter = {
  /** Is the viewer a supporter of this artist, and which source proved it? SERVICE_UNAVAILABLE rather than a guessed "no". */
  check: protectedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/supporters/check',
        tags: ['supporters'],
        summary: 'Is the viewer a supporter of this artist, and which source proved it?',
        errorResponses: { 503: 'Supporter validation is unavailable; try again shortly' },
      },
    })
    .input(z.object({ artistDid: did }))
    .output(z.object({ supporter: z.boolean(), source: z.enum(SUPPORTER_SOURCE_NAMES).nullable() }))
    .query(async ({ ctx, input }) => {
    const { outcome, source } = await ctx.services.supporters.checkWithSource(ctx.viewer.did, input.artistDid);
    if (outcome === 'unavailable') {
      throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'Supporter validation is unavailable; try again shortly' });
    }
    return { supporter: outcome === 'supporter', source };
  }),

  /** Which of these artists the viewer supports; artists whose check failed are listed apart, never as "no". */
  supportedArtists: protectedProcedure
    // POST: up to 100 DIDs fit a JSON body better than a query string.
    .meta({
      openapi: {
        method: 'POST',
        path: '/supporters/supported-artists',
        tags: ['supporters'],
        summary: 'Which of these artists the viewer supports',
        description: 'Artists whose check failed are listed in `unavailable`, never as "not supported".',
      },
    })
    .input(z.object({ artistDids: artistDidList }))
    .output(z.object({ supported: z.array(z.string()), unavailable: z.array(z.string()) }))
    .query(async ({ ctx, input }) => {
      const outcomes = await ctx.services.supporters.resolveSupportedArtists(ctx.viewer.did, input.artistDids);
      const supported: string[] = [];
      const unavailable: string[] = [];
      for (const artistDid of input.artistDids) {
        const outcome = outcomes.get(artistDid);
        if (outcome === 'supporter') supported.push(artistDid);
        else if (outcome !== 'not_supporter') unavailable.push(artistDid);
      }
      return { supported, unavailable };
    }),
} satisfies TRPCRouterRecord;
