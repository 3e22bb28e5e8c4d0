import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenJobsIdle } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs } from '@plyr/testing/atproto/login';
import { mp3Bytes, mutate, ok, query, readTrackRecord, recordKeyOf, uploadTrack, bucketsHolding, type Caller, type Track } from './helpers.js';

let network: LocalAtprotoNetwork;
let app: TestApp;
let artist: Caller & { did: string; handle: string };
let other: Caller;

const MAX_UPLOAD_BYTES = 64 * 1024;

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  // No Redis here: jobs need none (they are queued in PostgreSQL in every mode).
  app = await startTestApp(
    { ...network.env, RATE_LIMIT_ENABLED: 'false', MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) },
    { redisUrl: null },
  );
  const a = await network.createAccount('uploader');
  const b = await network.createAccount('someone');
  artist = await loginAs(app, a.handle, a.password);
  other = await loginAs(app, b.handle, b.password);
});

afterAll(async () => {
  await app?.close();
  await network?.close();
});

async function ticket(who: Caller, size: number, contentType = 'audio/mpeg') {
  return ok(
    await mutate<{ uploadId: string; url: string; headers: Record<string, string>; expiresAt: string }>(app, who, 'tracks.createUpload', {
      filename: 'song.mp3',
      contentType,
      size,
    }),
  );
}

const stagedExists = async (uploadId: string) => (await app.services.storage.head('private', `staging/${uploadId}`)) !== null;

describe('upload', () => {
  it('without Redis, moves the audio and rewrites the record on a gate change (the queue is in PostgreSQL)', async () => {
    const track = await uploadTrack(app, artist, { title: 'No Redis' });
    const updated = ok(await mutate<Track>(app, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any' } }));
    expect(updated.supportGate).toEqual({ type: 'any' });
    await whenJobsIdle(app.services.db);
    expect(await bucketsHolding(app, track)).toEqual(['private']);
    expect(ok(await query<Track>(app, artist, 'tracks.byId', { id: track.id })).storage).toBe('ready');
    const record = await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id));
    expect(record).toMatchObject({ audioUrl: `${app.ctx.env.publicUrl}/audio/${track.fileId}`, supportGate: { type: 'any' } });
  });

  it('goes end to end: presigned PUT, finalize, listed, in the public bucket, record on the PDS pointing at the CDN', async () => {
    const bytes = mp3Bytes(10_000);
    const up = await ticket(artist, bytes.length);
    // Valid 15 minutes.
    const ttl = Date.parse(up.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    const put = await fetch(up.url, { method: 'PUT', headers: up.headers, body: new Uint8Array(bytes) });
    expect(put.status).toBe(200);

    // A first page read now is cached: the finalize must make the next one list the new track.
    ok(await query<{ items: Track[] }>(app, { headers: {} }, 'tracks.list', {}));
    const track = ok(await mutate<Track>(app, artist, 'tracks.finalizeUpload', { uploadId: up.uploadId, title: 'First light' }));
    expect(track).toMatchObject({
      title: 'First light',
      artist: { did: artist.did, handle: artist.handle },
      fileType: 'mp3',
      supportGate: null,
      gated: false,
      storage: 'ready',
    });
    expect(track.fileId).toMatch(/^[a-f0-9]{32}$/);
    const cdnUrl = app.services.storage.cdnUrl(track.fileId, 'mp3');
    expect(track.audioUrl).toBe(cdnUrl);

    const list = ok(await query<{ items: Track[] }>(app, { headers: {} }, 'tracks.list', {}));
    expect(list.items.map((t) => t.id)).toContain(track.id);
    expect(await bucketsHolding(app, track)).toEqual(['public']);
    expect(await stagedExists(up.uploadId)).toBe(false);
    // The CDN URL serves the very bytes that were uploaded.
    const served = await fetch(cdnUrl);
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);

    const record = await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id));
    expect(record).toEqual({
      $type: 'fm.plyr.track',
      title: 'First light',
      artist: artist.handle,
      audioUrl: cdnUrl,
      fileType: 'mp3',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      audioBlob: { $type: 'blob', ref: { $link: expect.any(String) }, mimeType: 'audio/mpeg', size: bytes.length },
    });
  });

  it('places a gated upload in the private bucket, with a record pointing at {PUBLIC_URL}/audio/{fileId}', async () => {
    const track = await uploadTrack(app, artist, { title: 'For fans', supportGate: { type: 'any' } });
    expect(track).toMatchObject({ supportGate: { type: 'any' }, gated: false, storage: 'ready' });
    expect(await bucketsHolding(app, track)).toEqual(['private']);
    const gatedUrl = `${app.ctx.env.publicUrl}/audio/${track.fileId}`;
    expect(track.audioUrl).toBe(gatedUrl);
    const record = await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id));
    expect(record).toMatchObject({ audioUrl: gatedUrl, supportGate: { type: 'any' }, title: 'For fans' });
    // Nothing readable on the CDN.
    expect((await fetch(app.services.storage.cdnUrl(track.fileId, 'mp3'))).status).not.toBe(200);
  });

  it('has the storage refuse a PUT whose size or content type differs from what was signed', async () => {
    const bytes = mp3Bytes(2_000);
    const up = await ticket(artist, bytes.length);
    const longer = await fetch(up.url, { method: 'PUT', headers: up.headers, body: new Uint8Array(mp3Bytes(2_001)) });
    expect(longer.status).toBe(403);
    const otherType = await fetch(up.url, { method: 'PUT', headers: { 'Content-Type': 'audio/flac' }, body: new Uint8Array(bytes) });
    expect(otherType.status).toBe(403);
    expect(await stagedExists(up.uploadId)).toBe(false);
    // Nothing was stored, so finalize says so and the upload stays usable.
    const early = await mutate(app, artist, 'tracks.finalizeUpload', { uploadId: up.uploadId, title: 'x' });
    expect(early.error?.data.code).toBe('BAD_REQUEST');
    expect((await fetch(up.url, { method: 'PUT', headers: up.headers, body: new Uint8Array(bytes) })).status).toBe(200);
  });

  it('rejects a file that is not audio at finalize and deletes the staged object', async () => {
    const text = Buffer.from('<html><body>definitely not audio</body></html>'.repeat(20));
    const up = await ticket(artist, text.length);
    expect((await fetch(up.url, { method: 'PUT', headers: up.headers, body: new Uint8Array(text) })).status).toBe(200);
    expect(await stagedExists(up.uploadId)).toBe(true);
    const res = await mutate(app, artist, 'tracks.finalizeUpload', { uploadId: up.uploadId, title: 'Fake' });
    expect(res.status).toBe(400);
    expect(res.error?.data.code).toBe('BAD_REQUEST');
    expect(res.error?.message).toMatch(/audio/i);
    expect(await stagedExists(up.uploadId)).toBe(false);
    const mine = ok(await query<{ items: Track[] }>(app, artist, 'tracks.mine'));
    expect(mine.items.map((t) => t.title)).not.toContain('Fake');
  });

  it('refuses a file above MAX_UPLOAD_BYTES before issuing any URL', async () => {
    const res = await mutate(app, artist, 'tracks.createUpload', { filename: 'big.mp3', contentType: 'audio/mpeg', size: MAX_UPLOAD_BYTES + 1 });
    expect(res.status).toBe(413);
    expect(res.error?.data.code).toBe('PAYLOAD_TOO_LARGE');
    expect(JSON.stringify(res)).not.toContain('X-Amz-Signature');
    const uploads = await app.services.db.query.uploads.findMany();
    expect(uploads.some((u) => u.size > MAX_UPLOAD_BYTES)).toBe(false);
  });

  it('answers bad input with field errors, never a 500', async () => {
    const bad = await mutate(app, artist, 'tracks.createUpload', { filename: '', contentType: 'text/html', size: -1 });
    expect(bad.status).toBe(400);
    expect(bad.error?.data.zodError).toBeTruthy();
    const badId = await mutate(app, artist, 'tracks.finalizeUpload', { uploadId: 'nope', title: 'x' });
    expect(badId.status).toBe(400);
    const anon = await mutate(app, { headers: {} }, 'tracks.createUpload', { filename: 'a.mp3', contentType: 'audio/mpeg', size: 10 });
    expect(anon.status).toBe(401);
  });

  it("does not let another user finalize someone's upload", async () => {
    const bytes = mp3Bytes(1_000);
    const up = await ticket(artist, bytes.length);
    await fetch(up.url, { method: 'PUT', headers: up.headers, body: new Uint8Array(bytes) });
    const res = await mutate(app, other, 'tracks.finalizeUpload', { uploadId: up.uploadId, title: 'Stolen' });
    expect(res.error?.data.code).toBe('NOT_FOUND');
    expect(await stagedExists(up.uploadId)).toBe(true);
    // The owner still can, exactly once.
    ok(await mutate(app, artist, 'tracks.finalizeUpload', { uploadId: up.uploadId, title: 'Mine' }));
    const again = await mutate(app, artist, 'tracks.finalizeUpload', { uploadId: up.uploadId, title: 'Mine' });
    expect(again.error?.data.code).toBe('NOT_FOUND');
  });
});
