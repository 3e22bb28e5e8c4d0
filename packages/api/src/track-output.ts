import { z } from 'zod';
import { decideAccessMany, type AccessDecision } from '@plyr/core/access';
import { supportGateOutput } from '@plyr/core/gate';
import { playableAudioUrl, type TrackRow } from '@plyr/core/tracks';
import type { InnerContext } from './context.js';

/** `null`: public. `{ type: 'any' }`: only the artist's supporters may play it; with `publicAt`, until then. */
export const supportGateSchema = supportGateOutput.meta({
  id: 'SupportGate',
  description:
    "`null`: public. `{ \"type\": \"any\" }`: only the artist's supporters may play it. With `publicAt` (ISO 8601, UTC): early access, public for everyone from that instant.",
});

/** A track as every procedure returns it; never a database row. The one definition of that shape. */
export const trackOutputSchema = z
  .object({
    id: z.uuid(),
    fileId: z.string().meta({ description: '32 hex characters; the `/audio/{fileId}` route and the storage key use it.' }),
    title: z.string(),
    artist: z.object({ did: z.string(), handle: z.string() }),
    fileType: z.string().meta({ description: 'The file extension, e.g. `mp3`.' }),
    audioUrl: z.string().meta({
      description: "Where to play it from now: the CDN for public audio already there, else the API's `/audio/{fileId}`.",
    }),
    supportGate: supportGateSchema,
    gated: z.boolean().meta({
      description: 'This viewer cannot play it now (signed out, not a supporter, or supporter validation unavailable).',
    }),
    storage: z.enum(['ready', 'moving']).meta({ description: '`moving` while a gate change is still moving the audio between buckets.' }),
    createdAt: z.iso.datetime(),
    unavailable: z.enum(['audio_missing']).optional().meta({
      description:
        "Only in the owner's own list (`tracks.mine`): why the track cannot be played at all. `audio_missing`: its audio is in neither bucket (upload it again); `/audio` answers 404 with this reason.",
    }),
  })
  .meta({ id: 'Track' });

export type TrackOutput = z.infer<typeof trackOutputSchema>;

type TrackOutputFields = Pick<
  TrackRow,
  'id' | 'fileId' | 'title' | 'artistDid' | 'artistHandle' | 'fileType' | 'supportGate' | 'bucket' | 'moving' | 'createdAt'
>;

/** The owner's view of their tracks: each output as everyone sees it, plus why it cannot be played, if so. */
export async function toOwnTrackOutputs(
  ctx: Pick<InnerContext, 'services' | 'viewer'>,
  rows: readonly (TrackOutputFields & Pick<TrackRow, 'unavailableReason'>)[],
): Promise<TrackOutput[]> {
  const outputs = await toTrackOutputs(ctx, rows);
  return outputs.map((output, i) => {
    const reason = rows[i]!.unavailableReason;
    return reason ? { ...output, unavailable: reason } : output;
  });
}

/**
 * Resolves `gated` for the viewer with ONE batched access decision for all rows (one check per
 * distinct artist), unless the caller already made that decision for these rows.
 */
export async function toTrackOutputs(
  ctx: Pick<InnerContext, 'services' | 'viewer'>,
  rows: readonly TrackOutputFields[],
  decided?: readonly AccessDecision[],
): Promise<TrackOutput[]> {
  const { config, storage, supporters } = ctx.services;
  const decisions = decided ?? (await decideAccessMany(ctx.viewer?.did ?? null, rows, supporters, new Date()));
  return rows.map((row, i) => ({
    id: row.id,
    fileId: row.fileId,
    title: row.title,
    artist: { did: row.artistDid, handle: row.artistHandle },
    fileType: row.fileType,
    audioUrl: playableAudioUrl(config.publicUrl, storage, row),
    supportGate: row.supportGate ? { type: row.supportGate.type, ...(row.supportGate.publicAt ? { publicAt: row.supportGate.publicAt } : {}) } : null,
    gated: decisions[i] !== 'allowed',
    storage: row.moving ? 'moving' : 'ready',
    createdAt: row.createdAt.toISOString(),
  }));
}

export async function toTrackOutput(ctx: Pick<InnerContext, 'services' | 'viewer'>, row: TrackOutputFields): Promise<TrackOutput> {
  const [output] = await toTrackOutputs(ctx, [row]);
  return output!;
}
