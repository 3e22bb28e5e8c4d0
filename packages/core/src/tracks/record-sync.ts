import { and, eq, isNull, sql } from 'drizzle-orm';
import { tracks } from '@plyr/db';
import type { Agent, BlobRef } from '@atproto/api';
import {
  audioBlobOf,
  buildTrackRecord,
  deleteTrackRecord,
  getTrackRecord,
  putTrackRecord,
  uploadAudioBlob,
} from '../records/index.js';
import type { Services } from '../services.js';
import { recordAudioUrl } from './placement.js';
import type { TrackRow } from './queries.js';

type RecordServices = Pick<Services, 'auth' | 'db' | 'storage' | 'config' | 'logger' | 'hot'>;

/**
 * Writes the artist's `fm.plyr.track` record from this row (same rkey, original createdAt) and
 * marks it written, unless the title or gate changed meanwhile (then a later write follows).
 * A public track's record also carries its audio as a blob, read from the public bucket (so its
 * audio must be there); a gated one never does. Returns whether the stored record now matches the database.
 */
export async function writeTrackRecord(services: RecordServices, row: TrackRow): Promise<boolean> {
  const recordUri = row.recordUri;
  if (!recordUri) throw new Error(`track ${row.id} has no record URI`);
  const agent = await services.auth.getAgent(row.artistDid);
  const audioBlob = row.supportGate ? null : await publicAudioBlob(services, agent, { ...row, recordUri });
  const record = buildTrackRecord({
    title: row.title,
    artistHandle: row.artistHandle,
    audioUrl: recordAudioUrl(services.config.publicUrl, services.storage, row),
    fileType: row.fileType,
    createdAt: row.recordCreatedAt,
    supportGate: row.supportGate,
    audioBlob,
  });
  const { cid } = await putTrackRecord(agent, recordUri, record);
  const marked = await services.db
    .update(tracks)
    .set({ recordCid: cid })
    .where(
      and(
        eq(tracks.id, row.id),
        eq(tracks.title, row.title),
        // The very gate written (publicAt included): a reschedule meanwhile needs another write.
        row.supportGate ? sql`${tracks.supportGate} = ${JSON.stringify(row.supportGate)}::jsonb` : isNull(tracks.supportGate),
      ),
    )
    .returning({ id: tracks.id });
  if (marked.length > 0) await services.hot.forgetTrack(row);
  return marked.length > 0;
}

/**
 * The blob the record already references (a rewrite re-sends nothing), else a fresh upload streamed
 * from the public bucket; null when the PDS refuses it (the record then carries `audioUrl` only).
 */
async function publicAudioBlob(
  services: RecordServices,
  agent: Agent,
  row: TrackRow & { recordUri: string },
): Promise<BlobRef | null> {
  const current = audioBlobOf(await getTrackRecord(agent, row.recordUri), row.size);
  if (current) return current;
  const key = services.storage.audioKey(row.fileId, row.fileType);
  const upload = await uploadAudioBlob(agent, {
    size: row.size,
    contentType: row.contentType,
    open: async (signal) => (await services.storage.openRead('public', key, signal)).body,
  });
  if (upload.stored) return upload.blob;
  services.logger.warn(
    { trackId: row.id, size: upload.size, limit: upload.limit },
    "the artist's PDS refused the audio blob (over its size limit); the record carries audioUrl only",
  );
  return null;
}

export async function deleteArtistTrackRecord(services: Pick<Services, 'auth'>, artistDid: string, recordUri: string): Promise<void> {
  await deleteTrackRecord(await services.auth.getAgent(artistDid), recordUri);
}
