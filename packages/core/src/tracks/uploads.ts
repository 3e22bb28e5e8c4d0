import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { tracks, uploads } from '@plyr/db';
import type { SupportGate } from '../gate.js';
import { backstopRunAt, runBeforeBackstop, type Backstop } from '../jobs/backstop.js';
import { enqueueJob } from '../jobs/enqueue.js';
import { trackRecordKey } from '../jobs/payloads.js';
import { newTrackRecordUri } from '../records/index.js';
import type { Services } from '../services.js';
import { AUDIO_SNIFF_BYTES, sniffAudioFormat } from '../storage/index.js';
import { NotAudioError, UploadNotFoundError, UploadNotReceivedError, UploadTooLargeError } from './errors.js';
import { bucketForGate } from './placement.js';
import { findTrack, type TrackRow } from './queries.js';
import { scheduleRelease } from './release.js';
import { writeTrackRecord } from './record-sync.js';

/** How long the presigned PUT stays valid. */
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;

export interface CreateUploadInput {
  filename: string;
  contentType: string;
  size: number;
}

/** A presigned PUT: send exactly these headers and exactly `size` bytes, or the storage refuses it. */
export interface UploadTicket {
  uploadId: string;
  url: string;
  method: 'PUT';
  headers: { 'Content-Type': string };
  expiresAt: Date;
}

export async function createUpload(
  services: Pick<Services, 'db' | 'storage' | 'config'>,
  artistDid: string,
  input: CreateUploadInput,
): Promise<UploadTicket> {
  if (input.size > services.config.maxUploadBytes) throw new UploadTooLargeError(services.config.maxUploadBytes);
  const uploadId = randomUUID();
  const stagingKey = services.storage.stagingKey(uploadId);
  const expiresAt = new Date(Date.now() + UPLOAD_URL_TTL_SECONDS * 1000);
  const url = await services.storage.presignPut(stagingKey, {
    contentType: input.contentType,
    contentLength: input.size,
    expiresInSeconds: UPLOAD_URL_TTL_SECONDS,
  });
  await services.db.insert(uploads).values({
    id: uploadId,
    did: artistDid,
    stagingKey,
    filename: input.filename,
    contentType: input.contentType,
    size: input.size,
  });
  return { uploadId, url, method: 'PUT', headers: { 'Content-Type': input.contentType }, expiresAt };
}

export interface FinalizeUploadInput {
  uploadId: string;
  title: string;
  supportGate: SupportGate;
}

/**
 * Checks the staged object (size, audio signature), places it under a new fileId in the bucket its
 * gate requires, stores the track and writes its record. The staged object is removed either way,
 * except when nothing was uploaded yet (the artist may still PUT it).
 */
export async function finalizeUpload(
  services: Pick<Services, 'db' | 'storage' | 'config' | 'auth' | 'logger' | 'hot'>,
  artistDid: string,
  input: FinalizeUploadInput,
): Promise<TrackRow> {
  const { db, storage } = services;
  const [upload] = await db
    .select()
    .from(uploads)
    .where(and(eq(uploads.id, input.uploadId), eq(uploads.did, artistDid)))
    .limit(1);
  if (!upload) throw new UploadNotFoundError();

  const staged = await storage.head('private', upload.stagingKey);
  if (!staged) throw new UploadNotReceivedError('BAD_REQUEST', 'Nothing has been uploaded yet: PUT the file to the upload URL first');
  const discard = async () => {
    await storage.delete('private', upload.stagingKey);
    await db.delete(uploads).where(eq(uploads.id, upload.id));
  };
  if (staged.size !== upload.size) {
    await discard();
    throw new UploadNotReceivedError('BAD_REQUEST', `The uploaded file has ${staged.size} bytes, not the ${upload.size} announced`);
  }
  const format = sniffAudioFormat(await storage.readRange('private', upload.stagingKey, 0, AUDIO_SNIFF_BYTES - 1));
  if (!format) {
    await discard();
    throw new NotAudioError();
  }

  const fileId = randomBytes(16).toString('hex');
  const bucket = bucketForGate(input.supportGate);
  const key = storage.audioKey(fileId, format.ext);
  let trackId: string;
  try {
    await storage.copy({ bucket: 'private', key: upload.stagingKey }, { bucket, key });
    const placed = await storage.head(bucket, key);
    if (!placed || placed.size !== staged.size || placed.etag !== staged.etag) {
      throw new Error(`copy of ${upload.stagingKey} to ${key} does not match its source`);
    }
    trackId = await db.transaction(async (tx) => {
      // Claiming the upload row makes a concurrent second finalize of the same upload a NOT_FOUND.
      const claimed = await tx.delete(uploads).where(eq(uploads.id, upload.id)).returning({ id: uploads.id });
      if (claimed.length === 0) throw new UploadNotFoundError();
      const now = new Date();
      const [track] = await tx
        .insert(tracks)
        .values({
          fileId,
          artistDid,
          title: input.title,
          fileType: format.ext,
          contentType: format.contentType,
          size: staged.size,
          supportGate: input.supportGate,
          bucket,
          moving: false,
          recordUri: newTrackRecordUri(artistDid),
          recordCreatedAt: now,
          createdAt: now,
          updatedAt: now,
        })
        .returning({ id: tracks.id });
      const audio = { trackId: track!.id, fileId, fileType: format.ext };
      // The record write below, as a job committed with the track: it runs if that write never finishes.
      await enqueueJob(tx, 'track-move', audio, { jobKey: trackRecordKey(track!.id), runAt: backstopRunAt() });
      if (input.supportGate?.publicAt !== undefined) await scheduleRelease(tx, audio, input.supportGate);
      return track!.id;
    });
  } catch (err) {
    await storage.delete(bucket, key).catch(() => {});
    throw err;
  }
  await storage.delete('private', upload.stagingKey).catch((err: unknown) => {
    services.logger.warn({ err, key: upload.stagingKey }, 'staged upload not deleted; the daily sweep will');
  });

  // A new track heads the newest-tracks list the hot-read cache holds.
  await services.hot.forgetTrack({ id: trackId, fileId });
  const row = (await findTrack(db, trackId))!;
  const backstop: Backstop<'track-move'> = {
    name: 'track-move',
    payload: { trackId, fileId, fileType: format.ext },
    jobKey: trackRecordKey(trackId),
  };
  await runBeforeBackstop(db, services.logger, backstop, () => writeTrackRecord(services, row));
  return (await findTrack(db, trackId)) ?? row;
}
