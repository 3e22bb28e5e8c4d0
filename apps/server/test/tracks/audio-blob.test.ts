import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs } from '@plyr/testing/atproto/login';
import { bucketsHolding, mp3Bytes, mutate, ok, readTrackRecord, recordKeyOf, uploadTrack, type Caller, type Track } from './helpers.js';

/**
 * A public track's audio is also a blob in the artist's own repository (`audioBlob` in the
 * record, uploaded through the artist's OAuth session); a gated track's record never references
 * it, so the PDS stops serving it. The local PDS runs with its default limit (5 MiB).
 */

let network: LocalAtprotoNetwork;
let app: TestApp;
let artist: Caller & { did: string; handle: string };

/** @atproto/pds's default `blobUploadLimit` (PDS_BLOB_UPLOAD_LIMIT), which the local PDS keeps. */
const LOCAL_PDS_BLOB_LIMIT = 5 * 1024 * 1024;

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  app = await startTestApp({ ...network.env, RATE_LIMIT_ENABLED: 'false' });
  const account = await network.createAccount('blobartist');
  artist = await loginAs(app, account.handle, account.password);
});

afterAll(async () => {
  await app?.close();
  await network?.close();
});

interface BlobJson {
  $type: 'blob';
  ref: { $link: string };
  mimeType: string;
  size: number;
}

async function record(trackId: string): Promise<Record<string, unknown> | null> {
  return readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, trackId));
}

/** `com.atproto.sync.getBlob`, unauthenticated, as any ATProto client fetches it. */
async function getBlob(cid: string): Promise<{ status: number; bytes: Buffer; error?: string }> {
  const params = new URLSearchParams({ did: artist.did, cid });
  const res = await fetch(`${network.pdsUrl}/xrpc/com.atproto.sync.getBlob?${params}`, { signal: AbortSignal.timeout(10_000) });
  const bytes = Buffer.from(await res.arrayBuffer());
  const error = res.status === 200 ? undefined : (JSON.parse(bytes.toString('utf8')) as { message?: string }).message;
  return { status: res.status, bytes, ...(error === undefined ? {} : { error }) };
}

/** Whether the PDS still keeps the bytes on disk (it deletes a dereferenced blob's file after the write commits). */
async function pdsStoresBlob(cid: string): Promise<boolean> {
  // The disk blobstore only needs the CID's string form (its file name).
  return network.network.pds.ctx.blobstore(artist.did).hasStored({ toString: () => cid } as never);
}

/** Waits for the app's worker to finish the move and the record write a gate change started. */
async function settled(trackId: string): Promise<void> {
  const row = () => app.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, trackId) });
  await expect.poll(async () => (await row())?.moving, { timeout: 30_000 }).toBe(false);
  await expect.poll(async () => (await row())?.recordCid ?? null, { timeout: 30_000 }).not.toBeNull();
}

const refusals = () => app.logs.filter((line) => line.includes('refused the audio blob'));

describe('audioBlob', () => {
  it('a public upload carries the audio as a blob; gating withdraws it (getBlob: not found), un-gating uploads it again, deleting removes it', async () => {
    const bytes = mp3Bytes(40_000);
    const track = await uploadTrack(app, artist, { title: 'In my repo', bytes });
    const first = await record(track.id);
    expect(first).toMatchObject({ audioUrl: app.services.storage.cdnUrl(track.fileId, 'mp3') });
    const blob = first!.audioBlob as BlobJson;
    expect(blob).toMatchObject({ $type: 'blob', size: bytes.length, mimeType: expect.stringMatching(/^audio\//) });
    const served = await getBlob(blob.ref.$link);
    expect(served.status).toBe(200);
    expect(served.bytes.equals(bytes)).toBe(true);

    ok(await mutate<Track>(app, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any' } }));
    await settled(track.id);
    const gated = await record(track.id);
    expect(gated).toMatchObject({ supportGate: { type: 'any' }, audioUrl: `${app.ctx.env.publicUrl}/audio/${track.fileId}` });
    expect(gated).not.toHaveProperty('audioBlob');
    // The PDS forgets the blob in the record write itself, then deletes its file in the background.
    expect(await getBlob(blob.ref.$link)).toMatchObject({ status: 400, error: 'Blob not found' });
    await expect.poll(() => pdsStoresBlob(blob.ref.$link), { timeout: 10_000 }).toBe(false);
    expect(await bucketsHolding(app, track)).toEqual(['private']);

    ok(await mutate<Track>(app, artist, 'tracks.update', { id: track.id, supportGate: null }));
    await settled(track.id);
    const again = await record(track.id);
    expect(again).not.toHaveProperty('supportGate');
    expect(again!.audioBlob).toEqual(blob);
    expect((await getBlob(blob.ref.$link)).bytes.equals(bytes)).toBe(true);
    expect(await bucketsHolding(app, track)).toEqual(['public']);

    ok(await mutate(app, artist, 'tracks.delete', { id: track.id }));
    expect(await getBlob(blob.ref.$link)).toMatchObject({ status: 400, error: 'Blob not found' });
    await expect.poll(() => pdsStoresBlob(blob.ref.$link), { timeout: 10_000 }).toBe(false);
  });

  it('a gated upload never puts its audio in the repository', async () => {
    const track = await uploadTrack(app, artist, { title: 'Fans only', supportGate: { type: 'any' } });
    const gated = await record(track.id);
    expect(gated).toMatchObject({ supportGate: { type: 'any' } });
    expect(gated).not.toHaveProperty('audioBlob');
  });

  it(`over the PDS's limit (${LOCAL_PDS_BLOB_LIMIT} bytes): a working track with audioUrl only, and one log line with the limit`, async () => {
    const before = refusals().length;
    const bytes = mp3Bytes(LOCAL_PDS_BLOB_LIMIT + 1);
    const track = await uploadTrack(app, artist, { title: 'Too big for the PDS', bytes });
    expect(track.storage).toBe('ready');
    const rec = await record(track.id);
    expect(rec).toMatchObject({ audioUrl: app.services.storage.cdnUrl(track.fileId, 'mp3'), title: 'Too big for the PDS' });
    expect(rec).not.toHaveProperty('audioBlob');
    const served = await fetch(track.audioUrl, { headers: { Range: 'bytes=0-15' } });
    expect(served.status).toBe(206);
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes.subarray(0, 16))).toBe(true);

    const logged = refusals().slice(before);
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({ trackId: track.id, size: bytes.length, limit: LOCAL_PDS_BLOB_LIMIT });
  });

  it('a PDS that advertises no limit and refuses the bytes as they flow (413): the same working track, limit unknown', async () => {
    const service = network.network.pds.ctx.cfg.service as { blobUploadLimit?: number };
    // describeServer now advertises nothing, while the PDS's body parser still stops at 5 MiB.
    service.blobUploadLimit = undefined;
    try {
      const before = refusals().length;
      const bytes = mp3Bytes(LOCAL_PDS_BLOB_LIMIT + 1);
      const track = await uploadTrack(app, artist, { title: 'Refused mid-stream', bytes });
      expect(track.storage).toBe('ready');
      const rec = await record(track.id);
      expect(rec).toMatchObject({ title: 'Refused mid-stream', audioUrl: app.services.storage.cdnUrl(track.fileId, 'mp3') });
      expect(rec).not.toHaveProperty('audioBlob');
      const logged = refusals().slice(before);
      expect(logged).toHaveLength(1);
      expect(JSON.parse(logged[0]!)).toMatchObject({ trackId: track.id, size: bytes.length, limit: null });
    } finally {
      service.blobUploadLimit = LOCAL_PDS_BLOB_LIMIT;
    }
  });
});
