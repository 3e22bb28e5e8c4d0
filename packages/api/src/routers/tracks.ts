import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import {
  createUpload,
  deleteTrack,
  finalizeUpload,
  listTracks,
  MAX_PAGE_SIZE,
  TrackError,
  updateTrack,
} from '@plyr/core/tracks';
import { supportGateInput as supportGate } from '@plyr/core/gate';
import { toOwnTrackOutputs, toTrackOutput, toTrackOutputs, trackOutputSchema } from '../track-output.js';
import { likeProcedures } from './likes.js';
import { protectedProcedure, publicProcedure } from '../trpc.js';
import { plainText } from '../inputs.js';

/** Domain refusals become the tRPC code they name; anything else stays an internal error. */
function asTrpcError(err: unknown): never {
  if (err instanceof TrackError) throw new TRPCError({ code: err.code, message: err.message, cause: err });
  throw err;
}

const trackId = z.uuid({ message: 'must be a track id' });
const title = plainText(300);

const pageInput = z
  .object({
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
  })
  .default({ limit: 20 });

const createUploadInput = z.object({
  filename: plainText(255),
  // The storage signs this value, so a PUT with any other type is refused.
  contentType: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^audio\/[a-z0-9][a-z0-9.+-]{0,63}$/, 'must be an audio/* media type'),
  size: z.number().int().min(1),
});

const trackPage = z.object({
  items: z.array(trackOutputSchema),
  nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; `null` on the last page.' }),
});

const uploadTicket = z.object({
  uploadId: z.uuid(),
  url: z.string().meta({ description: 'The presigned URL: PUT the file there, with exactly these headers.' }),
  method: z.literal('PUT'),
  headers: z.object({ 'Content-Type': z.string() }),
  expiresAt: z.iso.datetime(),
});

export const tracksRouter = {
  /** Every track, newest first. */
  list: publicProcedure
    .meta({ openapi: { method: 'GET', path: '/tracks', tags: ['tracks'], summary: 'Every track, newest first', protect: false } })
    .input(pageInput)
    .output(trackPage)
    .query(async ({ ctx, input }) => {
    const page = await listTracks(ctx.services.db, input, ctx.services.hot.newestTracks).catch(asTrpcError);
    return { items: await toTrackOutputs(ctx, page.rows), nextCursor: page.nextCursor };
  }),

  byId: publicProcedure
    .meta({
      openapi: { method: 'GET', path: '/tracks/{id}', tags: ['tracks'], summary: 'One track', protect: false, errorResponses: { 404: 'No such track' } },
    })
    .input(z.object({ id: trackId }))
    .output(trackOutputSchema)
    .query(async ({ ctx, input }) => {
    const row = await ctx.services.hot.trackById(input.id);
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such track' });
    return toTrackOutput(ctx, row);
  }),

  /** The viewer's own tracks, newest first. */
  mine: protectedProcedure
    .meta({ openapi: { method: 'GET', path: '/me/tracks', tags: ['tracks'], summary: "The viewer's own tracks, newest first" } })
    .input(pageInput)
    .output(trackPage)
    .query(async ({ ctx, input }) => {
    const page = await listTracks(ctx.services.db, { ...input, artistDid: ctx.viewer.did }).catch(asTrpcError);
    return { items: await toOwnTrackOutputs(ctx, page.rows), nextCursor: page.nextCursor };
  }),

  /** A presigned PUT for the audio file; the bytes go straight to storage, never through the API. */
  createUpload: protectedProcedure
    .meta({
      rateLimitGroup: 'upload',
      openapi: {
        method: 'POST',
        path: '/uploads',
        tags: ['tracks'],
        summary: 'Step 1 of an upload: a presigned PUT URL for the audio file',
        errorResponses: { 413: 'The file is larger than the upload limit' },
      },
    })
    .input(createUploadInput)
    .output(uploadTicket)
    .mutation(async ({ ctx, input }) => {
      const ticket = await createUpload(ctx.services, ctx.viewer.did, input).catch(asTrpcError);
      return { ...ticket, expiresAt: ticket.expiresAt.toISOString() };
    }),

  /** Checks what was uploaded, stores the track and writes its ATProto record. */
  finalizeUpload: protectedProcedure
    .meta({
      rateLimitGroup: 'upload',
      openapi: {
        method: 'POST',
        path: '/uploads/{uploadId}/finalize',
        tags: ['tracks'],
        summary: 'Step 3 of an upload, after the PUT: stores the track and writes its ATProto record',
        errorResponses: { 404: 'No such upload (finalized already, or expired)' },
      },
    })
    .input(z.object({ uploadId: z.uuid({ message: 'must be an upload id' }), title, supportGate: supportGate.optional() }))
    .output(trackOutputSchema)
    .mutation(async ({ ctx, input }) => {
      const row = await finalizeUpload(ctx.services, ctx.viewer.did, {
        uploadId: input.uploadId,
        title: input.title,
        supportGate: input.supportGate ?? null,
      }).catch(asTrpcError);
      return toTrackOutput(ctx, row);
    }),

  /** The artist only. A gate change applies to access at once; the audio follows in the background. */
  update: protectedProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/tracks/{id}',
        tags: ['tracks'],
        summary: 'Change the title or the gate (the artist only)',
        description: 'A gate change applies to access at once; the audio then moves between buckets in the background (`storage: "moving"`).',
        errorResponses: { 403: 'Not your track', 404: 'No such track' },
      },
    })
    .input(z.object({ id: trackId, title: title.optional(), supportGate: supportGate.optional() }))
    .output(trackOutputSchema)
    .mutation(async ({ ctx, input }) => {
      const row = await updateTrack(ctx.services, ctx.viewer.did, input.id, input).catch(asTrpcError);
      return toTrackOutput(ctx, row);
    }),

  /** The artist only: removes the track, its audio and its record. */
  delete: protectedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/tracks/{id}',
        tags: ['tracks'],
        summary: 'Delete a track, its audio and its record (the artist only)',
        errorResponses: { 403: 'Not your track', 404: 'No such track' },
      },
    })
    .input(z.object({ id: trackId }))
    .output(z.object({ id: z.uuid(), deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
    await deleteTrack(ctx.services, ctx.viewer.did, input.id).catch(asTrpcError);
    return { id: input.id, deleted: true as const };
  }),

  // Likes (like, unlike, liked) are added below this line by the likes module.
  ...likeProcedures,
} satisfies TRPCRouterRecord;
