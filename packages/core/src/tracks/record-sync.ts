import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import { tracks } from '@plyr/db';
import { buildTrackRecord, deleteTrackRecord, putTrackRecord } from '../records/index.js';
import type { Services } from '../services.js';
import { recordAudioUrl } from './placement.js';
import type { TrackRow } from './queries.js';

type RecordServices = Pick<Services, 'auth' | 'db' | 'storage' | 'config'>;

/**
 * Writes the artist's `fm.plyr.track` record from this row (same rkey, original createdAt) and
 * marks it written, unless the title or gate changed meanwhile (then a later write follows).
 * Returns whether the stored record now matches the database.
 */
export async function writeTrackRecord(services: RecordServices, row: TrackRow): Promise<boolean> {
  if (!row.recordUri) throw new Error(`track ${row.id} has no record URI`);
  const agent = await services.auth.getAgent(row.artistDid);
  const record = buildTrackRecord({
    title: row.title,
    artistHandle: row.artistHandle,
    audioUrl: recordAudioUrl(services.config.publicUrl, services.storage, row),
    fileType: row.fileType,
    createdAt: row.recordCreatedAt,
    supportGate: row.supportGate,
  });
  const { cid } = await putTrackRecord(agent, row.recordUri, record);
  const marked = await services.db
    .update(tracks)
    .set({ recordCid: cid })
    .where(
      and(
        eq(tracks.id, row.id),
        eq(tracks.title, row.title),
        row.supportGate ? isNotNull(tracks.supportGate) : isNull(tracks.supportGate),
      ),
    )
    .returning({ id: tracks.id });
  return marked.length > 0;
}

export async function deleteArtistTrackRecord(services: RecordServices, artistDid: string, recordUri: string): Promise<void> {
  await deleteTrackRecord(await services.auth.getAgent(artistDid), recordUri);
}
