import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import {
  downloadLikedTracks,
  downloadTrack,
  getDownloadPreferences,
  setDownloadPreferences,
  type TrackDownload,
  type TrackDownloadResult,
} from '@plyr/core/downloads/index';
import { toTrackOutputs } from '../track-output.js';
import { protectedProcedure } from '../trpc.js';

type Refusal = Extract<TrackDownloadResult, { ok: false }>['reason'];

const REFUSALS: Record<Refusal, { code: TRPCError['code']; message: string }> = {
  not_found: { code: 'NOT_FOUND', message: 'No such track' },
  login_required: { code: 'UNAUTHORIZED', message: 'Sign in first' },
  support_required: { code: 'PAYMENT_REQUIRED', message: "Only supporters of this track's artist can download it" },
  // Never reported as "not a supporter": the client should try again, not give up.
  unavailable: { code: 'SERVICE_UNAVAILABLE', message: 'Supporter validation is unavailable; try again shortly' },
};

const toDownloadOutput = ({ url, filename, expiresAt }: TrackDownload) => ({
  url,
  filename,
  expiresAt: expiresAt.toISOString(),
});

export const downloadsRouter = {
  /** A presigned attachment URL for one track, valid PRESIGNED_URL_TTL_SECONDS, if the viewer may play it. */
  track: protectedProcedure
    .input(z.object({ id: z.uuid({ message: 'must be a track id' }) }))
    .query(async ({ ctx, input }) => {
      const result = await downloadTrack(ctx.services, ctx.viewer.did, input.id, new Date());
      if (!result.ok) throw new TRPCError(REFUSALS[result.reason]);
      return toDownloadOutput(result.download);
    }),

  /** Every liked track, newest like first: a download for each the viewer may play, else why it was skipped. */
  likedTracks: protectedProcedure.query(async ({ ctx }) => {
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
  preferences: protectedProcedure.query(({ ctx }) => getDownloadPreferences(ctx.services.db, ctx.viewer.did)),

  setPreferences: protectedProcedure
    .input(z.object({ autoDownloadLiked: z.boolean() }))
    .mutation(({ ctx, input }) => setDownloadPreferences(ctx.services.db, ctx.viewer.did, input)),
} satisfies TRPCRouterRecord;
