import { decideAccessMany, type AccessDecision, type SupportGate } from '@plyr/core/access';
import { playableAudioUrl, type TrackRow } from '@plyr/core/tracks/index';
import type { InnerContext } from './context.js';

/** A track as every procedure returns it; never a database row. */
export interface TrackOutput {
  id: string;
  /** 32 hex characters; the `/audio/{fileId}` route and the storage key use it. */
  fileId: string;
  title: string;
  artist: { did: string; handle: string };
  fileType: string;
  /** Where to play it from now: the CDN for public audio already there, else the API's `/audio/{fileId}`. */
  audioUrl: string;
  supportGate: SupportGate;
  /** This viewer cannot play it now (signed out, not a supporter, or supporter validation unavailable). */
  gated: boolean;
  /** `moving` while a gate change is still moving the audio between buckets. */
  storage: 'ready' | 'moving';
  createdAt: string;
}

type TrackOutputFields = Pick<
  TrackRow,
  'id' | 'fileId' | 'title' | 'artistDid' | 'artistHandle' | 'fileType' | 'supportGate' | 'bucket' | 'moving' | 'createdAt'
>;

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
