import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { likeTrack, listLikedTracks, unlikeTrack } from '@plyr/core/likes';
import { toTrackOutputs, trackOutputSchema } from '../track-output.js';
import { protectedProcedure } from '../trpc.js';

const trackInput = z.object({ id: z.uuid({ message: 'must be a track id' }) });

const noSuchTrack = () => new TRPCError({ code: 'NOT_FOUND', message: 'No such track' });

/** `tracks.like`, `tracks.unlike`, `tracks.liked`: spread into the tracks router. */
export const likeProcedures = {
  /** Idempotent; the listener's `fm.plyr.like` record follows in the background. */
  like: protectedProcedure
    .meta({ openapi: { method: 'PUT', path: '/tracks/{id}/like', tags: ['tracks'], summary: 'Like a track (idempotent)', errorResponses: { 404: 'No such track' } } })
    .input(trackInput)
    .output(z.object({ id: z.uuid(), liked: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
    if (!(await likeTrack(ctx.services, ctx.viewer.did, input.id))) throw noSuchTrack();
    return { id: input.id, liked: true as const };
  }),

  /** Idempotent; the record is deleted in the background, even if its write had not landed yet. */
  unlike: protectedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/tracks/{id}/like', tags: ['tracks'], summary: 'Unlike a track (idempotent)', errorResponses: { 404: 'No such track' } } })
    .input(trackInput)
    .output(z.object({ id: z.uuid(), liked: z.literal(false) }))
    .mutation(async ({ ctx, input }) => {
    if (!(await unlikeTrack(ctx.services, ctx.viewer.did, input.id))) throw noSuchTrack();
    return { id: input.id, liked: false as const };
  }),

  /** The viewer's liked tracks, newest like first, with `gated` resolved for the viewer. */
  liked: protectedProcedure
    .meta({ openapi: { method: 'GET', path: '/me/liked-tracks', tags: ['tracks'], summary: "The viewer's liked tracks, newest like first" } })
    .output(z.object({ items: z.array(trackOutputSchema) }))
    .query(async ({ ctx }) => {
    const rows = await listLikedTracks(ctx.services.db, ctx.viewer.did);
    return { items: await toTrackOutputs(ctx, rows) };
  }),
} satisfies TRPCRouterRecord;
