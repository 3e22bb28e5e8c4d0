import { AtUri } from '@atproto/api';
import { TID } from '@atproto/common-web';
import { and, desc, eq } from 'drizzle-orm';
import { likes, tracks, type Db } from '@plyr/db';
import { enqueueJob } from '../jobs/enqueue.js';
import { likeRecordKey } from '../jobs/payloads.js';
import type { Services } from '../services.js';
import { selectTrackRows, type TrackRow } from '../tracks/index.js';
import { LIKE_COLLECTION } from './record-job.js';

type LikeServices = Pick<Services, 'db'>;

/**
 * Stores the like at once (a second like is a no-op) and has a job write the listener's
 * `fm.plyr.like` record. False when there is no such track.
 */
export async function likeTrack(services: LikeServices, did: string, trackId: string): Promise<boolean> {
  return services.db.transaction(async (tx) => {
    const [track] = await tx.select({ id: tracks.id }).from(tracks).where(eq(tracks.id, trackId));
    if (!track) return false;
    await tx
      .insert(likes)
      .values({ did, trackId, recordUri: AtUri.make(did, LIKE_COLLECTION, TID.nextStr()).toString() })
      .onConflictDoNothing();
    const [like] = await tx
      .select({ recordUri: likes.recordUri, recordCid: likes.recordCid })
      .from(likes)
      .where(and(eq(likes.did, did), eq(likes.trackId, trackId)));
    // Also on a repeated like whose record is still unwritten: it revives a write that gave up.
    if (like?.recordUri && like.recordCid === null) {
      await enqueueJob(tx, 'like-record', { action: 'write', did, trackId }, { jobKey: likeRecordKey(like.recordUri) });
    }
    return true;
  });
}

/**
 * Removes the like (a second unlike is a no-op) and has a job delete the listener's record.
 * False when there is no such track.
 */
export async function unlikeTrack(services: LikeServices, did: string, trackId: string): Promise<boolean> {
  return services.db.transaction(async (tx) => {
    const [track] = await tx.select({ id: tracks.id }).from(tracks).where(eq(tracks.id, trackId));
    if (!track) return false;
    const [removed] = await tx
      .delete(likes)
      .where(and(eq(likes.did, did), eq(likes.trackId, trackId)))
      .returning({ recordUri: likes.recordUri });
    // Same key as the write: a write still pending is replaced, one running is followed by this delete.
    if (removed?.recordUri) {
      await enqueueJob(tx, 'like-record', { action: 'delete', did, recordUri: removed.recordUri }, { jobKey: likeRecordKey(removed.recordUri) });
    }
    return true;
  });
}

/** The viewer's liked tracks, newest like first. */
export async function listLikedTracks(db: Db, did: string): Promise<TrackRow[]> {
  return selectTrackRows(db)
    .innerJoin(likes, and(eq(likes.trackId, tracks.id), eq(likes.did, did)))
    .orderBy(desc(likes.createdAt), desc(likes.trackId));
}
