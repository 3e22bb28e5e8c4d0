import { and, eq, isNull, lt, or } from 'drizzle-orm';
import { tracks, uploads } from '@plyr/db';
import { defineJob } from '../jobs/types.js';
import type { Services } from '../services.js';

export const MAINTENANCE_INTERVAL_MS = 5 * 60_000;
/** A presigned PUT lives 15 minutes; a staged upload not finalized within a day is abandoned. */
export const ABANDONED_UPLOAD_AGE_MS = 24 * 3_600_000;
/** A move or record write still pending this long after the change lost its job (crash, Redis outage). */
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

/** Re-enqueues moves and record writes whose job was lost; at most one such job per track at a time. */
export async function resumeStalledTrackSyncs(services: Pick<Services, 'db' | 'jobs'>, now = new Date()): Promise<number> {
  const stalled = await services.db
    .select({ trackId: tracks.id, fileId: tracks.fileId, fileType: tracks.fileType })
    .from(tracks)
    .where(
      and(
        or(eq(tracks.moving, true), isNull(tracks.recordCid)),
        lt(tracks.updatedAt, new Date(now.getTime() - STALLED_SYNC_AGE_MS)),
      ),
    )
    .limit(BATCH);
  for (const track of stalled) {
    await services.jobs.enqueue('track-move', track, { dedupeId: `resume-track-move:${track.trackId}` });
  }
  return stalled.length;
}

export const maintenanceJob = defineJob<Record<string, never>>({
  attempts: 1,
  async process(_data, { services, logger }) {
    const swept = await sweepAbandonedUploads(services);
    const resumed = await resumeStalledTrackSyncs(services);
    if (swept > 0 || resumed > 0) logger.info({ swept, resumed }, 'maintenance: abandoned uploads swept, stalled syncs resumed');
  },
});
