import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import {
  downloadLikedTracks,
  downloadTrack,
  getDownloadPreferences,
  setDownloadPreferences,
  type TrackDownload,
  type TrackDownloadResult,
} from '@plyr/core/downloads';
import { toTrackOutputs, trackOutputSchema } from '../track-output.js';
import { protectedProcedure } from '../trpc.js';

type Refusal = Extract<TrackDownloadResult, { ok: false }>['reason'];

const REFUSALS: Record<Refusal, { code: TRPCError['code']; message: string }> = {
  not_found: { code: 'NOT_FOUND', message: 'No such track' },
  login_required: { code: 'UNAUTHORIZED', message: 'Sign in first' },
  support_required: { code: 'PAYMENT_REQUIRED', message: "Only supporters of this track's artist can download it" },
  // Never reported as "not a supporter": the client should try again, not give up.
  unavailable: { code: 'SERVICE_UNAVAILABLE', message: 'Supporter validation is unavailable; try again shortly' },
};

const downloadOutput = z
  .object({
    url: z.string().meta({ description: 'A presigned GET that answers with `Content-Disposition: attachment`.' }),
    filename: z.string(),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'Download' });

const preferencesOutput = z.object({ autoDownloadLiked: z.boolean() });

const toDownloadOutput = ({ url, filename, expiresAt }: TrackDownload) => ({
  url,
  filename,
  expiresAt: expiresAt.toISOString(),
});

export const downloadsRouter = {
  /** A presigned attachment URL for one track, valid PRESIGNED_URL_TTL_SECONDS, if the viewer may play it. */
  track: protectedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/tracks/{id}/download',
        tags: ['downloads'],
        summary: 'A presigned download URL for one track, if the viewer may play it',
        errorResponses: {
          402: "Only supporters of this track's artist can download it",
          404: 'No such track',
          503: 'Supporter validation is unavailable; try again shortly',
        },
      },
    })
    .input(z.object({ id: z.uuid({ message: 'must be a track id' }) }))
    .output(downloadOutput)
    .query(async ({ ctx, input }) => {
      const result = await downloadTrack(ctx.services, ctx.viewer.did, input.id, new Date());
      if (!result.ok) throw new TRPCError(REFUSALS[result.reason]);
      return toDownloadOutput(result.download);
    }),

  /** Every liked track, newest like first: a download for each the viewer may play, else why it was skipped. */
  likedTracks: protectedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/me/liked-tracks/downloads',
        tags: ['downloads'],
        summary: 'Every liked track: a download for each the viewer may play, else why it was skipped',
      },
    })
    .output(
      z.object({
        items: z.array(
          z.object({
            track: trackOutputSchema,
            download: downloadOutput.nullable(),
            skipped: z.enum(['gated', 'unavailable']).nullable(),
          }),
        ),
      }),
    )
    .query(async ({ ctx }) => {
    const planned = await downloadLikedTracks(ctx.services, ctx.viewer.did, new Date());
    // The plan already holds the one access decision per track; `gated` is made from the same answer.
    const outputs = await toTrackOutputs(
      ctx,
      planned.map(({ track }) => track),
      planned.map(({ decision }) => decision),
    );
    return {
      items: planned.map(({ download, skipped }, i) => ({
        track: outputs[i]!,
        download: download && toDownloadOutput(download),
        skipped,
      })),
    };
  }),

  /** Stored on the user: the same on every device. */
  preferences: protectedProcedure
    .meta({ openapi: { method: 'GET', path: '/me/download-preferences', tags: ['downloads'], summary: "The viewer's download preferences" } })
    .output(preferencesOutput)
    .query(({ ctx }) => getDownloadPreferences(ctx.services.db, ctx.viewer.did)),

  setPreferences: protectedProcedure
    .meta({ openapi: { method: 'PUT', path: '/me/download-preferences', tags: ['downloads'], summary: "Set the viewer's download preferences" } })
    .input(z.object({ autoDownloadLiked: z.boolean() }))
    .output(preferencesOutput)
    .mutation(({ ctx, input }) => setDownloadPreferences(ctx.services.db, ctx.viewer.did, input)),
} satisfies TRPCRouterRecord;
