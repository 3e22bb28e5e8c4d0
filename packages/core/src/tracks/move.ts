import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import { tracks, type StorageBucket } from '@plyr/db';
import { AtprotoSessionUnavailableError } from '../auth/index.js';
import { PermanentJobError } from '../jobs/errors.js';
import type { TrackMoveData } from '../jobs/payloads.js';
import type { Services } from '../services.js';
import { bucketForGate, otherBucket } from './placement.js';
import { findTrack, type TrackRow } from './queries.js';
import { writeTrackRecord } from './record-sync.js';
import { withTrackLock } from './track-lock.js';

/** Points between the steps of a move where tests inject a crash or a failure. */
export interface MoveHooks {
  afterCopy?(): void | Promise<void>;
  beforeDeleteSource?(): void | Promise<void>;
  beforeRecordWrite?(): void | Promise<void>;
}

/** The copy's size or ETag differs from the source's: retry the copy, never switch to it. */
export class CopyVerificationError extends Error {
  override readonly name = 'CopyVerificationError';
}

/** The track changed under the job on every pass (rapid toggling); the retry starts over. */
export class TrackKeptChangingError extends Error {
  override readonly name = 'TrackKeptChangingError';
}

// Each pass re-reads the row; a gate or title change mid-pass just means another pass.
const MAX_PASSES = 5;

type MoveServices = Pick<Services, 'db' | 'storage' | 'auth' | 'config' | 'logger' | 'hot'>;

/**
 * Brings a track's storage and record in line with its row: the object in the bucket its gate
 * requires (copy → verify → switch → delete the source) and the record rewritten. A gated track's
 * record is rewritten first, without the blob, so the PDS stops serving the audio before the bytes
 * move (if the PDS cannot be written, the bytes still move and the job retries the record); a
 * public track's record last, with a blob read from the public bucket once the audio is
 * there. Every step re-checks the current state first, so running it again, after a crash at any
 * point, converges.
 */
export async function syncTrack(services: MoveServices, job: TrackMoveData, hooks: MoveHooks = {}): Promise<void> {
  await withTrackLock(services.db, job.trackId, () => syncTrackUnderLock(services, job, hooks));
}

/** The steps of `syncTrack`, for a caller that already holds the track's lock (the reconciler). */
export async function syncTrackUnderLock(services: MoveServices, job: TrackMoveData, hooks: MoveHooks = {}): Promise<void> {
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const row = await findTrack(services.db, job.trackId);
    if (!row) {
      // Deleted meanwhile: whatever this move copied must not outlive the track.
      await deleteAudioEverywhere(services, job.fileId, job.fileType);
      return;
    }
    let recordWritten = row.recordCid !== null;
    let recordFailure: unknown = null;
    if (row.supportGate && !recordWritten) {
      await hooks.beforeRecordWrite?.();
      try {
        if (!(await writeRecordOrGiveUp(services, row))) continue;
        recordWritten = true;
      } catch (err) {
        // The PDS keeps serving the blob until a retry lands; the CDN must not wait for it too.
        recordFailure = err;
      }
    }
    if (!(await settleStorage(services, row, hooks))) continue;
    if (recordFailure !== null) throw recordFailure;
    if (recordWritten) return;
    await hooks.beforeRecordWrite?.();
    if (await writeRecordOrGiveUp(services, row)) return;
  }
  throw new TrackKeptChangingError(`track ${job.trackId} changed on each of ${MAX_PASSES} passes`);
}

/** Returns false when the gate changed under us (the caller re-reads and tries again). */
async function settleStorage(services: MoveServices, row: TrackRow, hooks: MoveHooks): Promise<boolean> {
  const { db, storage } = services;
  const target = bucketForGate(row.supportGate);
  const key = storage.audioKey(row.fileId, row.fileType);
  const gateStill = row.supportGate ? isNotNull(tracks.supportGate) : isNull(tracks.supportGate);

  if (row.bucket !== target) {
    const source = await storage.head(row.bucket, key);
    let copy = await storage.head(target, key);
    const isVerifiedCopy = () => source !== null && copy !== null && copy.size === source.size && copy.etag === source.etag;
    if (source === null && copy === null) {
      throw new PermanentJobError(`audio of track ${row.id} (${key}) is in neither bucket`);
    }
    // A missing source with a copy present means an earlier pass copied it; the copy is the audio now.
    if (source !== null && !isVerifiedCopy()) {
      await storage.copy({ bucket: row.bucket, key }, { bucket: target, key });
      await hooks.afterCopy?.();
      copy = await storage.head(target, key);
      if (!isVerifiedCopy()) throw new CopyVerificationError(`copy of ${key} to the ${target} bucket does not match its source`);
    }
    const switched = await db
      .update(tracks)
      .set({ bucket: target })
      .where(and(eq(tracks.id, row.id), eq(tracks.bucket, row.bucket), gateStill))
      .returning({ id: tracks.id });
    if (switched.length === 0) return false;
    await services.hot.forgetTrack(row);
  }

  // Only ever the bucket the row does not point at, and only under the track lock.
  await hooks.beforeDeleteSource?.();
  await storage.delete(otherBucket(target), key);
  const settled = await db
    .update(tracks)
    .set({ moving: false })
    .where(and(eq(tracks.id, row.id), eq(tracks.bucket, target), gateStill))
    .returning({ id: tracks.id });
  if (settled.length === 0) return false;
  // Outputs say `storage: 'moving'` and point at /audio until this lands.
  await services.hot.forgetTrack(row);
  return true;
}

/**
 * Without the artist's OAuth grant no retry can write the record; the row keeps `recordCid` null,
 * so the maintenance pass (drift) writes it once the artist signs in again.
 */
async function writeRecordOrGiveUp(services: MoveServices, row: TrackRow): Promise<boolean> {
  try {
    return await writeTrackRecord(services, row);
  } catch (err) {
    if (err instanceof AtprotoSessionUnavailableError) throw new PermanentJobError(err.message, { cause: err });
    throw err;
  }
}

export async function deleteAudioEverywhere(
  services: Pick<Services, 'storage'>,
  fileId: string,
  fileType: string,
): Promise<void> {
  const key = services.storage.audioKey(fileId, fileType);
  const buckets: StorageBucket[] = ['public', 'private'];
  await Promise.all(buckets.map((bucket) => services.storage.delete(bucket, key)));
}
