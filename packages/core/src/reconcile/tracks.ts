import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import { tracks } from '@plyr/db';
import { advertisedBlobLimit, audioBlobOf, buildTrackRecord, getTrackRecord } from '../records/index.js';
import {
  bucketForGate,
  findTrack,
  otherBucket,
  recordAudioUrl,
  STALLED_SYNC_AGE_MS,
  syncTrackUnderLock,
  writeTrackRecord,
  type TrackRow,
} from '../tracks/index.js';
import { checkUnderLock, handle, type RunContext } from './run-context.js';

/**
 * Pages through every track (keyset on id, `pageSize` rows at a time) and checks each under its
 * track lock: its audio in the buckets, then its record on the artist's PDS.
 */
export async function reconcileTracks(ctx: RunContext, pageSize: number): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const page: Array<{ id: string }> = await ctx.services.db
      .select({ id: tracks.id })
      .from(tracks)
      .where(after === null ? undefined : gt(tracks.id, after))
      .orderBy(asc(tracks.id))
      .limit(pageSize);
    for (const { id } of page) {
      await checkUnderLock(ctx, id, async () => {
        // Read under the lock: a move or delete that held it has finished.
        const row = await findTrack(ctx.services.db, id);
        if (!row) return;
        ctx.report.checked.tracks++;
        if (syncInFlight(ctx, row)) {
          ctx.report.skipped.inFlight++;
          return;
        }
        if (await reconcileTrackAudio(ctx, row)) await reconcileTrackRecord(ctx, id);
      });
    }
    if (page.length < pageSize) return;
    after = page.at(-1)!.id;
  }
}

/** A gate change or record write still pending from a recent change is its job's to finish (maintenance resumes stalled ones). */
function syncInFlight(ctx: RunContext, row: TrackRow): boolean {
  return (row.moving || row.recordCid === null) && row.updatedAt.getTime() > ctx.now.getTime() - STALLED_SYNC_AGE_MS;
}

const moveJobOf = (row: TrackRow) => ({ trackId: row.id, fileId: row.fileId, fileType: row.fileType });

/** Brings the audio in line with the row. Returns whether the audio exists (so the record can be checked). */
async function reconcileTrackAudio(ctx: RunContext, row: TrackRow): Promise<boolean> {
  const { db, storage } = ctx.services;
  const key = storage.audioKey(row.fileId, row.fileType);
  const [inPublic, inPrivate] = await Promise.all([storage.head('public', key), storage.head('private', key)]);
  const found = { public: inPublic !== null, private: inPrivate !== null };
  const other = otherBucket(row.bucket);

  if (!found.public && !found.private) {
    if (row.unavailableReason === 'audio_missing') {
      ctx.report.unavailable++;
      return false;
    }
    await handle(ctx, 'audio_missing', row.id, `${key} is in neither bucket`, async () => {
      await db.update(tracks).set({ unavailableReason: 'audio_missing' }).where(and(eq(tracks.id, row.id), isNull(tracks.unavailableReason)));
      // Every instance's next play reads the mark, not a cached row.
      await ctx.services.hot.forgetTrack(row);
    });
    return false;
  }
  if (row.unavailableReason !== null) {
    await handle(ctx, 'audio_found_again', row.id, `${key} is in the ${found[row.bucket] ? row.bucket : other} bucket again`, async () => {
      await db.update(tracks).set({ unavailableReason: null }).where(eq(tracks.id, row.id));
      await ctx.services.hot.forgetTrack(row);
    });
  }

  const settle = () => syncTrackUnderLock(ctx.services, moveJobOf(row));
  const followCopy = async () => {
    if (!found[row.bucket]) {
      // Point the row at the copy that exists; the move's own steps then carry it where the gate wants it.
      await db
        .update(tracks)
        .set({ bucket: other, moving: other !== bucketForGate(row.supportGate) })
        .where(and(eq(tracks.id, row.id), eq(tracks.bucket, row.bucket)));
      await ctx.services.hot.forgetTrack(row);
    }
    await settle();
  };
  if (row.supportGate && found.public) {
    // A leak: the CDN serves gated audio to anyone. The move deletes the copy (moving it first when it is the only one).
    await handle(ctx, 'gated_audio_public', row.id, `${key} of a gated track is in the public bucket`, followCopy);
  } else if (!found[row.bucket]) {
    await handle(ctx, 'audio_in_other_bucket', row.id, `the row says ${row.bucket}, ${key} is in ${other}`, followCopy);
  } else if (found.public && found.private) {
    await handle(ctx, 'stray_copy', row.id, `${key} is in both buckets; it belongs in ${row.bucket}`, settle);
  }
  return true;
}

/** Rewrites the artist's record when it is missing or disagrees with the row. */
async function reconcileTrackRecord(ctx: RunContext, trackId: string): Promise<void> {
  const { services } = ctx;
  const row = await findTrack(services.db, trackId);
  if (!row?.recordUri || row.recordCid === null) return;
  const agent = await services.auth.getAgent(row.artistDid);
  const record = await getTrackRecord(agent, row.recordUri);
  const rewrite = async () => {
    if (!(await writeTrackRecord(services, row))) throw new Error('the track changed during the rewrite; the next run checks it again');
  };
  if (!record) {
    await handle(ctx, 'record_missing', row.id, `${row.recordUri} is not on the artist's PDS`, rewrite);
    return;
  }
  const differing = await recordDifferences(ctx, row, record, () => advertisedBlobLimit(agent));
  if (differing.length > 0) {
    await handle(ctx, 'record_mismatch', row.id, `${row.recordUri} disagrees with the row on ${differing.join(', ')}`, rewrite);
  }
}

/** The fields of `record` that are not what the row says they should be. */
async function recordDifferences(
  ctx: RunContext,
  row: TrackRow,
  record: Record<string, unknown>,
  blobLimit: () => Promise<number | null>,
): Promise<string[]> {
  const blob = audioBlobOf(record, row.size);
  const expected = buildTrackRecord({
    title: row.title,
    artistHandle: row.artistHandle,
    audioUrl: recordAudioUrl(ctx.services.config.publicUrl, ctx.services.storage, row),
    fileType: row.fileType,
    createdAt: row.recordCreatedAt,
    supportGate: row.supportGate,
    audioBlob: blob,
  });
  const differing: string[] = [];
  if (record.title !== expected.title) differing.push('title');
  if (record.audioUrl !== expected.audioUrl) differing.push('audioUrl');
  if (record.createdAt !== expected.createdAt) differing.push('createdAt');
  if (!sameGate(record.supportGate, expected.supportGate)) differing.push('supportGate');
  if (row.supportGate) {
    // A gated record must never reference the blob: the PDS serves any referenced blob to anyone.
    if (record.audioBlob !== undefined) differing.push('audioBlob');
  } else if (!blob) {
    // A missing blob is drift unless this PDS refuses audio of that size (the record then carries audioUrl only).
    const limit = record.audioBlob === undefined ? await blobLimit() : null;
    if (limit === null || row.size <= limit) differing.push('audioBlob');
  }
  return differing;
}

function sameGate(actual: unknown, expected: { type: string; publicAt?: string } | undefined): boolean {
  if (expected === undefined) return actual === undefined || actual === null;
  if (typeof actual !== 'object' || actual === null) return false;
  const gate = actual as { type?: unknown; publicAt?: unknown };
  return gate.type === expected.type && gate.publicAt === expected.publicAt && Object.keys(gate).length === Object.keys(expected).length;
}
