import type { Agent } from '@atproto/api';
import { AtUri } from '@atproto/api';
import { and, eq } from 'drizzle-orm';
import { likes, tracks, type Db } from '@plyr/db';
import { AtprotoSessionUnavailableError } from '../auth/index.js';
import { PermanentJobError } from '../jobs/errors.js';
import type { LikeRecordJobData } from '../jobs/payloads.js';
import type { Services } from '../services.js';

export const LIKE_COLLECTION = 'fm.plyr.like';
/** Budget for one write or delete on the listener's PDS. */
export const PDS_WRITE_TIMEOUT_MS = 10_000;

/** The track has no ATProto record yet, so there is no subject to point at; a later try will find it. */
export class TrackRecordPendingError extends Error {
  override readonly name = 'TrackRecordPendingError';
}

/**
 * Keeps the listener's `fm.plyr.like` record in step with the like row. The record key is fixed when
 * the like is stored, so every try writes the same record, and a write that lands after an unlike
 * is seen (the row is gone) and deleted again.
 */
export async function syncLikeRecord(services: Pick<Services, 'db' | 'auth'>, data: LikeRecordJobData): Promise<void> {
  const agent = await agentFor(services.auth, data.did);
  if (data.action === 'delete') {
    await deleteLikeRecord(agent, data.recordUri);
    return;
  }
  const like = await findLikeToWrite(services.db, data.did, data.trackId);
  // Unliked before the write: nothing to write, and the unlike's own job removes any record.
  if (!like?.recordUri) return;
  if (!like.subjectUri || !like.subjectCid) {
    throw new TrackRecordPendingError(`track ${data.trackId} has no record yet`);
  }
  const rkey = new AtUri(like.recordUri).rkey;
  const { data: written } = await agent.com.atproto.repo.putRecord(
    {
      repo: data.did,
      collection: LIKE_COLLECTION,
      rkey,
      record: {
        $type: LIKE_COLLECTION,
        subject: { uri: like.subjectUri, cid: like.subjectCid },
        createdAt: like.createdAt.toISOString(),
      },
    },
    { signal: AbortSignal.timeout(PDS_WRITE_TIMEOUT_MS) },
  );
  // Mark this very like as written; no row matched means it was unliked while we wrote.
  const marked = await services.db
    .update(likes)
    .set({ recordCid: written.cid })
    .where(and(eq(likes.did, data.did), eq(likes.trackId, data.trackId), eq(likes.recordUri, like.recordUri)))
    .returning({ did: likes.did });
  if (marked.length === 0) await deleteLikeRecord(agent, like.recordUri);
}

async function agentFor(auth: { getAgent(did: string): Promise<Agent> }, did: string): Promise<Agent> {
  try {
    return await auth.getAgent(did);
  } catch (err) {
    // Without the listener's OAuth grant no retry can write for them.
    if (err instanceof AtprotoSessionUnavailableError) throw new PermanentJobError(err.message, { cause: err });
    throw err;
  }
}

async function findLikeToWrite(db: Db, did: string, trackId: string) {
  const [row] = await db
    .select({
      recordUri: likes.recordUri,
      createdAt: likes.createdAt,
      subjectUri: tracks.recordUri,
      subjectCid: tracks.recordCid,
    })
    .from(likes)
    .innerJoin(tracks, eq(tracks.id, likes.trackId))
    .where(and(eq(likes.did, did), eq(likes.trackId, trackId)));
  return row;
}

/** Deleting a record that is not there succeeds, so this is safe to repeat. */
async function deleteLikeRecord(agent: Agent, recordUri: string): Promise<void> {
  const uri = new AtUri(recordUri);
  await agent.com.atproto.repo.deleteRecord(
    { repo: uri.host, collection: uri.collection, rkey: uri.rkey },
    { signal: AbortSignal.timeout(PDS_WRITE_TIMEOUT_MS) },
  );
}
