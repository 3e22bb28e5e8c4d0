import { randomBytes, randomUUID } from 'node:crypto';
import { AtUri } from '@atproto/api';
import { TID } from '@atproto/common-web';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { likes, oauthSessions, tracks, uploads } from '@plyr/db';
import { LIKE_COLLECTION, likeTrack, syncLikeRecord } from '../../src/likes/index.js';
import { putTrackRecord, TRACK_COLLECTION, type TrackRecord } from '../../src/records/index.js';
import { runReconcile, type ReconcileOptions, type ReconcileReport } from '../../src/reconcile/index.js';
import { findTrack, writeTrackRecord, type TrackRow } from '../../src/tracks/index.js';
import { bucketsOf, putAudio, readRecord, seedTrack, startCoreFixture, type CoreFixture } from '../tracks/fixtures.js';

/** Each drift is made by hand against real PostgreSQL, s3rver and the local PDS, then found and repaired. */

let f: CoreFixture;
const DAY_LATER = () => new Date(Date.now() + 25 * 3_600_000);

beforeAll(async () => {
  f = await startCoreFixture();
  // The reconciler checks the likes of accounts with an OAuth session; the fixture's agent stands for it.
  await f.db.db.insert(oauthSessions).values({ did: f.artist.did, value: 'fixture' });
});

afterAll(async () => {
  await f?.close();
});

const run = (repair: ReconcileOptions['repair'], opts: Omit<ReconcileOptions, 'repair'> = {}) => runReconcile(f.services, { repair, ...opts });
const about = (report: ReconcileReport, subject: string) => report.findings.filter((x) => x.subject === subject).map((x) => `${x.kind}:${x.action}`);
const agent = () => f.services.auth.getAgent(f.artist.did);
const rkeyOf = (uri: string) => new AtUri(uri).rkey;

/** A settled track: audio where its gate says, record written (with the blob when public). */
async function publishedTrack(supportGate: { type: 'any' } | null = null): Promise<TrackRow> {
  const row = await seedTrack(f, { supportGate });
  expect(await writeTrackRecord(f.services, row)).toBe(true);
  return (await findTrack(f.db.db, row.id))!;
}

async function moveObject(row: TrackRow, from: 'public' | 'private', to: 'public' | 'private'): Promise<void> {
  const key = f.storage.audioKey(row.fileId, row.fileType);
  await f.storage.copy({ bucket: from, key }, { bucket: to, key });
  await f.storage.delete(from, key);
}

describe('drift repair', () => {
  it('finds a public track whose audio is only in the private bucket, and moves it back', async () => {
    const row = await publishedTrack();
    await moveObject(row, 'public', 'private');

    const report = await run('none');
    expect(about(report, row.id)).toEqual(['audio_in_other_bucket:reported']);
    expect(report.unresolved).toBeGreaterThan(0);
    expect(await bucketsOf(f, row)).toEqual(['private']);

    expect(about(await run('all'), row.id)).toEqual(['audio_in_other_bucket:repaired']);
    expect(await bucketsOf(f, row)).toEqual(['public']);
    expect(await findTrack(f.db.db, row.id)).toMatchObject({ bucket: 'public', moving: false });
    expect(about(await run('none'), row.id)).toEqual([]);
  });

  it('marks a track whose audio is in neither bucket unavailable, and clears the mark once the audio is back', async () => {
    const row = await publishedTrack();
    const key = f.storage.audioKey(row.fileId, row.fileType);
    const bytes = Buffer.from(await f.storage.readRange('public', key, 0, row.size - 1));
    await f.storage.delete('public', key);

    expect(about(await run('none'), row.id)).toEqual(['audio_missing:reported']);
    expect((await findTrack(f.db.db, row.id))!.unavailableReason).toBeNull();
    expect(about(await run('scheduled'), row.id)).toEqual(['audio_missing:repaired']);
    expect((await findTrack(f.db.db, row.id))!.unavailableReason).toBe('audio_missing');

    // Known now: not drift again, counted apart.
    const again = await run('all');
    expect(about(again, row.id)).toEqual([]);
    expect(again.unavailable).toBeGreaterThanOrEqual(1);

    await putAudio(f.storage, 'public', key, bytes);
    expect(about(await run('scheduled'), row.id)).toEqual(['audio_found_again:repaired']);
    expect((await findTrack(f.db.db, row.id))!.unavailableReason).toBeNull();
  });

  it('deletes the public copy of a gated track at once, moving it first when it is the only copy', async () => {
    const withTwoCopies = await publishedTrack({ type: 'any' });
    const key = f.storage.audioKey(withTwoCopies.fileId, withTwoCopies.fileType);
    await f.storage.copy({ bucket: 'private', key }, { bucket: 'public', key });
    const onlyPublic = await publishedTrack({ type: 'any' });
    await moveObject(onlyPublic, 'private', 'public');

    const report = await run('scheduled');
    expect(about(report, withTwoCopies.id)).toEqual(['gated_audio_public:repaired']);
    expect(about(report, onlyPublic.id)).toEqual(['gated_audio_public:repaired']);
    for (const row of [withTwoCopies, onlyPublic]) {
      expect(await bucketsOf(f, row)).toEqual(['private']);
      expect(await findTrack(f.db.db, row.id)).toMatchObject({ bucket: 'private', moving: false });
    }
  });

  it('deletes a stray private copy of a public track', async () => {
    const row = await publishedTrack();
    const key = f.storage.audioKey(row.fileId, row.fileType);
    await f.storage.copy({ bucket: 'public', key }, { bucket: 'private', key });
    expect(about(await run('scheduled'), row.id)).toEqual(['stray_copy:repaired']);
    expect(await bucketsOf(f, row)).toEqual(['public']);
  });

  it('deletes audio no track points at once it is a day old (by hand only), and staged objects with no upload (on schedule too)', async () => {
    const orphanKey = f.storage.audioKey(randomBytes(16).toString('hex'), 'mp3');
    await putAudio(f.storage, 'public', orphanKey, randomBytes(500));
    const strayStaging = f.storage.stagingKey(randomUUID());
    await putAudio(f.storage, 'private', strayStaging, randomBytes(500));
    // A pending upload's staged object is never touched, however old.
    const [pending] = await f.db.db
      .insert(uploads)
      .values({ did: f.artist.did, stagingKey: 'x', filename: 'a.mp3', contentType: 'audio/mpeg', size: 500 })
      .returning({ id: uploads.id });
    const pendingKey = f.storage.stagingKey(pending!.id);
    await f.db.db.update(uploads).set({ stagingKey: pendingKey }).where(eq(uploads.id, pending!.id));
    await putAudio(f.storage, 'private', pendingKey, randomBytes(500));

    // Fresh objects: a finalize may be about to insert their track.
    const fresh = await run('all');
    expect(about(fresh, `public/${orphanKey}`)).toEqual([]);
    expect(about(fresh, `private/${strayStaging}`)).toEqual([]);

    const scheduled = await run('scheduled', { now: DAY_LATER(), pageSize: 2 });
    expect(about(scheduled, `public/${orphanKey}`)).toEqual(['orphan_object:reported']);
    expect(about(scheduled, `private/${strayStaging}`)).toEqual(['orphan_upload:repaired']);
    expect(about(scheduled, `private/${pendingKey}`)).toEqual([]);
    expect(await f.storage.head('public', orphanKey)).not.toBeNull();
    expect(await f.storage.head('private', strayStaging)).toBeNull();

    expect(about(await run('all', { now: DAY_LATER() }), `public/${orphanKey}`)).toEqual(['orphan_object:repaired']);
    expect(await f.storage.head('public', orphanKey)).toBeNull();
    expect(await f.storage.head('private', pendingKey)).not.toBeNull();
    await f.db.db.delete(uploads).where(eq(uploads.id, pending!.id));
    await f.storage.delete('private', pendingKey);
  });

  it("rewrites a missing record, and one whose audioUrl, supportGate, createdAt or blob disagree with the row", async () => {
    const missing = await publishedTrack();
    await (await agent()).com.atproto.repo.deleteRecord({ repo: f.artist.did, collection: TRACK_COLLECTION, rkey: rkeyOf(missing.recordUri!) });
    const wrong = await publishedTrack();
    await putTrackRecord(await agent(), wrong.recordUri!, {
      $type: TRACK_COLLECTION,
      title: wrong.title,
      artist: f.artist.handle,
      audioUrl: 'https://elsewhere.example/audio.mp3',
      fileType: 'mp3',
      createdAt: '2020-01-01T00:00:00.000Z',
      supportGate: { type: 'any' },
    });
    const gated = await publishedTrack({ type: 'any' });
    const { blob } = (await (await agent()).uploadBlob(new Uint8Array(randomBytes(100)), { encoding: 'audio/mpeg' })).data;
    const gatedRecord = await readRecord(f, gated);
    await putTrackRecord(await agent(), gated.recordUri!, { ...(gatedRecord as unknown as TrackRecord), audioBlob: blob });

    const report = await run('none');
    expect(about(report, missing.id)).toEqual(['record_missing:reported']);
    expect(report.findings.find((x) => x.subject === wrong.id)?.detail).toMatch(/audioUrl, createdAt, supportGate, audioBlob$/);
    expect(report.findings.find((x) => x.subject === gated.id)?.detail).toMatch(/on audioBlob$/);

    const repaired = await run('scheduled');
    expect(about(repaired, missing.id)).toEqual(['record_missing:repaired']);
    expect(about(repaired, wrong.id)).toEqual(['record_mismatch:repaired']);
    expect(about(repaired, gated.id)).toEqual(['record_mismatch:repaired']);
    expect(await readRecord(f, missing)).toMatchObject({ audioUrl: f.storage.cdnUrl(missing.fileId, 'mp3'), audioBlob: { size: missing.size } });
    const fixed = await readRecord(f, wrong);
    expect(fixed).toMatchObject({ audioUrl: f.storage.cdnUrl(wrong.fileId, 'mp3'), createdAt: wrong.recordCreatedAt.toISOString(), audioBlob: { size: wrong.size } });
    expect(fixed).not.toHaveProperty('supportGate');
    expect(await readRecord(f, gated)).not.toHaveProperty('audioBlob');
    const after = await run('none');
    for (const row of [missing, wrong, gated]) expect(about(after, row.id)).toEqual([]);
  });

  it('writes a like record that is missing and deletes one whose like is gone', async () => {
    const track = await publishedTrack();
    expect(await likeTrack(f.services, f.artist.did, track.id)).toBe(true);
    await syncLikeRecord(f.services, { action: 'write', did: f.artist.did, trackId: track.id });
    const [like] = await f.db.db.select().from(likes).where(eq(likes.trackId, track.id));
    expect(like!.recordCid).not.toBeNull();
    await (await agent()).com.atproto.repo.deleteRecord({ repo: f.artist.did, collection: LIKE_COLLECTION, rkey: rkeyOf(like!.recordUri!) });
    const orphanRkey = TID.nextStr();
    await (await agent()).com.atproto.repo.putRecord({
      repo: f.artist.did,
      collection: LIKE_COLLECTION,
      rkey: orphanRkey,
      record: { $type: LIKE_COLLECTION, subject: { uri: track.recordUri!, cid: track.recordCid! }, createdAt: new Date().toISOString() },
    });
    const orphanUri = AtUri.make(f.artist.did, LIKE_COLLECTION, orphanRkey).toString();
    const likeRecordExists = async (uri: string) =>
      (await (await agent()).com.atproto.repo.listRecords({ repo: f.artist.did, collection: LIKE_COLLECTION, limit: 100 })).data.records.some((r) => r.uri === uri);

    const report = await run('none');
    expect(about(report, like!.recordUri!)).toEqual(['like_record_missing:reported']);
    expect(about(report, orphanUri)).toEqual(['like_record_orphan:reported']);

    const repaired = await run('scheduled');
    expect(about(repaired, like!.recordUri!)).toEqual(['like_record_missing:repaired']);
    expect(about(repaired, orphanUri)).toEqual(['like_record_orphan:repaired']);
    expect(await likeRecordExists(like!.recordUri!)).toBe(true);
    expect(await likeRecordExists(orphanUri)).toBe(false);
  });

  it('leaves a gate change whose move job is still due to that job', async () => {
    const row = await publishedTrack();
    await f.db.db.update(tracks).set({ supportGate: { type: 'any' }, moving: true, recordCid: null, updatedAt: new Date() }).where(eq(tracks.id, row.id));
    const report = await run('all');
    expect(about(report, row.id)).toEqual([]);
    expect(report.skipped.inFlight).toBeGreaterThanOrEqual(1);
    expect(await bucketsOf(f, row)).toEqual(['public']);
    // Stalled past the maintenance age: the reconciler settles it as the move would.
    const later = await run('all', { now: DAY_LATER() });
    expect(about(later, row.id)).toEqual(['gated_audio_public:repaired']);
    expect(await bucketsOf(f, row)).toEqual(['private']);
  });

  it('is idempotent and safe with two runs at once: each drift repaired exactly once, then nothing found', async () => {
    const rows = await Promise.all([publishedTrack(), publishedTrack(), publishedTrack({ type: 'any' })]);
    await moveObject(rows[0]!, 'public', 'private');
    await f.storage.delete('public', f.storage.audioKey(rows[1]!.fileId, rows[1]!.fileType));
    const key2 = f.storage.audioKey(rows[2]!.fileId, rows[2]!.fileType);
    await f.storage.copy({ bucket: 'private', key: key2 }, { bucket: 'public', key: key2 });
    const orphanKey = f.storage.audioKey(randomBytes(16).toString('hex'), 'mp3');
    await putAudio(f.storage, 'private', orphanKey, randomBytes(300));

    const now = DAY_LATER();
    const [a, b] = await Promise.all([run('all', { now, pageSize: 2 }), run('all', { now, pageSize: 2 })]);
    const repairedOf = (subject: string) => [...about(a, subject), ...about(b, subject)];
    expect(repairedOf(rows[0]!.id)).toEqual(['audio_in_other_bucket:repaired']);
    expect(repairedOf(rows[1]!.id)).toEqual(['audio_missing:repaired']);
    expect(repairedOf(rows[2]!.id)).toEqual(['gated_audio_public:repaired']);
    expect(repairedOf(`private/${orphanKey}`)).toEqual(['orphan_object:repaired']);
    expect(a.skipped.errors + b.skipped.errors).toBe(0);

    const third = await run('all', { now });
    expect(third.counts).toEqual({});
    expect(third.unresolved).toBe(0);
    expect(third.checked.tracks).toBeGreaterThanOrEqual(3);
  });
});
