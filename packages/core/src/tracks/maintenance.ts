import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { tracks, uploads } from '@plyr/db';
import { enqueueJob } from '../jobs/enqueue.js';
import { trackSyncKey } from '../jobs/payloads.js';
import type { Services } from '../services.js';

/** How often the maintenance job runs (a graphile-worker crontab line at the host). */
export const MAINTENANCE_INTERVAL_MINUTES = 5;
/** A presigned PUT lives 15 minutes; a staged upload not finalized within a day is abandoned. */
export const ABANDONED_UPLOAD_AGE_MS = 24 * 3_600_000;
/** A move or record write still pending this long after the change, with no job left for it, has drifted. */
export const STALLED_SYNC_AGE_MS = 10 * 60_000;
const BATCH = 500;

/** Deletes staged objects and upload rows older than a day. Returns how many were removed. */
export async function sweepAbandonedUploads(services: Pick<Services, 'db' | 'storage'>, now = new Date()): Promise<number> {
  const stale = await services.db
    .select({ id: uploads.id, stagingKey: uploads.stagingKey })
    .from(uploads)
    .where(lt(uploads.createdAt, new Date(now.getTime() - ABANDONED_UPLOAD_AGE_MS)))
    .limit(BATCH);
  for (const upload of stale) {
    await services.storage.delete('private', upload.stagingKey);
    await services.db.delete(uploads).where(eq(uploads.id, upload.id));
  }
  return stale.length;
}

/**
 * Drift: a track left moving or with its record unwritten whose job gave up (retries spent, or the
 * artist's OAuth grant missing until they sign in again). Enqueues a fresh move for each; tracks
 * that still have a live job are left to it.
 */
export async function resumeStalledTrackSyncs(services: Pick<Services, 'db'>, now = new Date()): Promise<number> {
  const stalled = await services.db
    .select({ trackId: tracks.id, fileId: tracks.fileId, fileType: tracks.fileType })
    .from(tracks)
    .where(
      and(
        or(eq(tracks.moving, true), isNull(tracks.recordCid)),
        lt(tracks.updatedAt, new Date(now.getTime() - STALLED_SYNC_AGE_MS)),
        sql`not exists (
          select 1 from graphile_worker.jobs
          where jobs.key = 'track-sync:' || ${tracks.id} and (jobs.attempts < jobs.max_attempts or jobs.locked_at is not null)
        )`,
      ),
    )
    .limit(BATCH);
  for (const track of stalled) {
    await enqueueJob(services.db, 'track-move', track, { jobKey: trackSyncKey(track.trackId) });
  }
  return stalled.length;
}

/** The periodic pass: only what no single change can finish by itself. */
export async function runMaintenance(services: Pick<Services, 'db' | 'storage' | 'logger'>): Promise<void> {
  const swept = await sweepAbandonedUploads(services);
  const resumed = await resumeStalledTrackSyncs(services);
  if (swept > 0 || resumed > 0) services.logger.info({ swept, resumed }, 'maintenance: abandoned uploads swept, drifted tracks resumed');
}
