import { AtUri } from '@atproto/api';
import { TID } from '@atproto/common-web';
import { and, desc, eq } from 'drizzle-orm';
import { likes, tracks, type Db } from '@plyr/db';
import type { Services } from '../services.js';
import { selectTrackRows, type TrackRow } from '../tracks/index.js';
import { LIKE_COLLECTION, LIKE_RECORD_JOB } from './record-job.js';

type LikeServices = Pick<Services, 'db' | 'jobs' | 'logger'>;

/**
 * Stores the like at once (a second like is a no-op) and has a job write the listener's
 * `fm.plyr.like` record. False when there is no such track.
 */
export async function likeTrack(services: LikeServices, did: string, trackId: string): Promise<boolean> {
  const { db } = services;
  const [track] = await db.select({ id: tracks.id }).from(tracks).where(eq(tracks.id, trackId));
  if (!track) return false;
  await db
    .insert(likes)
    .values({ did, trackId, recordUri: AtUri.make(did, LIKE_COLLECTION, TID.nextStr()).toString() })
    .onConflictDoNothing();
  const [like] = await db
    .select({ recordUri: likes.recordUri, recordCid: likes.recordCid })
    .from(likes)
    .where(and(eq(likes.did, did), eq(likes.trackId, trackId)));
  // Also re-asked on a repeated like whose record is still unwritten, so a lost job is made good.
  if (like && like.recordCid === null) {
    try {
      await services.jobs.enqueue(
        LIKE_RECORD_JOB,
        { action: 'write', did, trackId },
        { dedupeId: `like-record:${like.recordUri}` },
      );
    } catch (err) {
      // The like itself is stored; the record write is retried by the next like of this track.
      services.logger.warn({ err, did, trackId }, 'likes: could not schedule the like record write');
    }
  }
  return true;
}

/**
 * Removes the like (a second unlike is a no-op) and has a job delete the listener's record.
 * False when there is no such track.
 */
export async function unlikeTrack(services: LikeServices, did: string, trackId: string): Promise<boolean> {
  const { db } = services;
  const [track] = await db.select({ id: tracks.id }).from(tracks).where(eq(tracks.id, trackId));
  if (!track) return false;
  const [removed] = await db
    .delete(likes)
    .where(and(eq(likes.did, did), eq(likes.trackId, trackId)))
    .returning();
  if (!removed?.recordUri) return true;
  try {
    await services.jobs.enqueue(LIKE_RECORD_JOB, { action: 'delete', did, recordUri: removed.recordUri });
  } catch (err) {
    // Put the like back so the caller's retry finds it and schedules the delete again; a record is never orphaned.
    await db.insert(likes).values(removed).onConflictDoNothing();
    throw err;
  }
  return true;
}

/** The viewer's liked tracks, newest like first. */
export async function listLikedTracks(db: Db, did: string): Promise<TrackRow[]> {
  return selectTrackRows(db)
    .innerJoin(likes, and(eq(likes.trackId, tracks.id), eq(likes.did, did)))
    .orderBy(desc(likes.createdAt), desc(likes.trackId));
}
