import { and, eq, sql } from 'drizzle-orm';
import { tracks } from '@plyr/db';
import type { SupportGate } from '../gate.js';
import { enqueueJob, removeJob, type JobExecutor } from '../jobs/enqueue.js';
import { trackReleaseKey, trackSyncKey, type TrackMoveData, type TrackReleaseData } from '../jobs/payloads.js';
import type { Services } from '../services.js';

/**
 * Early access. The access rule already treats a gate as gone from its `publicAt` on (by the
 * clock, on every instance); this is the bookkeeping behind it: one `track-release` job per track,
 * scheduled for that instant on the durable queue, which then ends the gate in the row and hands
 * the rest to the ordinary un-gating move.
 */

/**
 * Schedules the release `gate` asks for, replacing any earlier one, or removes it when the gate has
 * no `publicAt`. Call it on the transaction that stores the gate, so the two commit together.
 */
export async function scheduleRelease(tx: JobExecutor, track: TrackMoveData, gate: SupportGate): Promise<void> {
  if (gate?.publicAt === undefined) return cancelRelease(tx, track.trackId);
  await enqueueJob(tx, 'track-release', { ...track, publicAt: gate.publicAt }, {
    jobKey: trackReleaseKey(track.trackId),
    runAt: new Date(gate.publicAt),
  });
}

/** Removes the track's pending release, if any (one already running finds its gate gone and does nothing). */
export async function cancelRelease(tx: JobExecutor, trackId: string): Promise<void> {
  await removeJob(tx, trackReleaseKey(trackId));
}

/**
 * The `track-release` job: if the track still has the gate this job was scheduled for, clears it
 * and enqueues the move (to the public bucket, record rewritten with the blob), both in one
 * transaction. Anything else (gate changed, removed, track deleted) means a later change already
 * replaced this release, and it does nothing; so it is idempotent and safe to retry.
 */
export async function releaseTrack(services: Pick<Services, 'db' | 'logger' | 'hot'>, job: TrackReleaseData): Promise<void> {
  const released = await services.db.transaction(async (tx) => {
    const rows = await tx
      .update(tracks)
      .set({ supportGate: null, moving: true, recordCid: null, updatedAt: new Date() })
      .where(and(eq(tracks.id, job.trackId), sql`${tracks.supportGate}->>'publicAt' = ${job.publicAt}`))
      .returning({ id: tracks.id });
    if (rows.length === 0) return false;
    const move: TrackMoveData = { trackId: job.trackId, fileId: job.fileId, fileType: job.fileType };
    await enqueueJob(tx, 'track-move', move, { jobKey: trackSyncKey(job.trackId) });
    return true;
  });
  if (released) await services.hot.forgetTrack({ id: job.trackId, fileId: job.fileId });
  if (released) services.logger.info({ trackId: job.trackId, publicAt: job.publicAt }, 'early access over: the track is public');
}
