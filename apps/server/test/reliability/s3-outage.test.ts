import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestS3, storageEnv } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs, type SignedInUser } from '@plyr/testing/atproto/login';
import { createStorage } from '@plyr/core/storage';
import { bucketsHolding, mp3Bytes, readTrackRecord, recordKeyOf, startMoveWorker, uploadTrack, type TestWorker, type Track } from '../tracks/helpers.js';
import { OwnRedis } from '../rate-limit/client.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { eventually, http, trpcCode, trpcMutation } from './support/http.js';
import { DRIVER_TEXT } from './support/leak-patterns.js';

/**
 * The object storage goes down (connections refused through a relay this test owns): public audio
 * keeps redirecting to the CDN, /ready says so, finalize refuses cleanly and works once the storage
 * is back, and a move interrupted at any step retries until exactly one intact copy sits in the
 * right bucket: nothing is deleted that was not copied.
 */

let network: LocalAtprotoNetwork;
let s3: Awaited<ReturnType<typeof startTestS3>>;
let storage: FaultProxy;
let app: TestApp;
let artist: SignedInUser;
let redis: OwnRedis;

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  s3 = await startTestS3();
  storage = await startFaultProxy(Number(new URL(s3.config.endpoint).port));
  // The API talks to the storage through the relay; the CDN URL (public reads) points at the storage itself.
  const s3Env = { ...storageEnv(s3.config), S3_ENDPOINT: `http://127.0.0.1:${storage.port}` };
  // A redis-server of its own, so no other run's jobs or flushes meet this queue.
  redis = await OwnRedis.start();
  app = await startTestApp({ ...network.env, RATE_LIMIT_ENABLED: 'false' }, { s3Env, runWorker: false, redisUrl: redis.url });
  const account = await network.createAccount('s3-artist');
  artist = await loginAs(app, account.handle, account.password);
});

afterAll(async () => {
  await storage?.setMode('up');
  await app?.close();
  await storage?.close();
  await redis?.stop();
  await s3?.close();
  await network?.close();
});

const ready = () => http(`${app.url}/ready`, { timeoutMs: 10_000 });

/** The bytes stored for a track, read from the storage itself (not through the relay); null when absent. */
async function storedBytes(track: Pick<Track, 'fileId' | 'fileType'>, bucket: 'public' | 'private'): Promise<Buffer | null> {
  const direct = createStorage(s3.config);
  try {
    const key = direct.audioKey(track.fileId, track.fileType);
    const head = await direct.head(bucket, key);
    return head ? Buffer.from(await direct.readRange(bucket, key, 0, head.size - 1)) : null;
  } finally {
    direct.destroy();
  }
}

describe('storage down', () => {
  let publicTrack: Track;
  let gatedTrack: Track;
  beforeAll(async () => {
    publicTrack = await uploadTrack(app, artist, { title: 'Public while down' });
    gatedTrack = await uploadTrack(app, artist, { title: 'Gated while down', supportGate: { type: 'any' } });
  });

  it('public /audio still redirects to the CDN (no storage call needed); /ready 503 naming storage', async () => {
    await storage.setMode('refuse');
    const res = await http(`${app.url}/audio/${publicTrack.fileId}`);
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe(app.services.storage.cdnUrl(publicTrack.fileId, publicTrack.fileType));
    const own = await http(`${app.url}/audio/${gatedTrack.fileId}`, { headers: artist.headers });
    expect(own.status).toBe(307);
    const readiness = await ready();
    expect(readiness.status).toBe(503);
    expect(readiness.json).toMatchObject({ status: 'unavailable', failed: ['storage'] });
    expect(readiness.ms).toBeLessThan(3_000);
    await storage.setMode('up');
  });

  it('finalize fails cleanly (503, upload kept) while the storage is down, and succeeds once it is back', async () => {
    const bytes = mp3Bytes(3_000);
    const ticket = await trpcMutation(app.url, 'tracks.createUpload', { filename: 'late.mp3', contentType: 'audio/mpeg', size: bytes.length }, artist.headers);
    const { uploadId, url, headers } = ticket.json.result.data;
    expect((await fetch(url, { method: 'PUT', headers, body: new Uint8Array(bytes) })).status).toBe(200);

    await storage.setMode('refuse');
    const failed = await trpcMutation(app.url, 'tracks.finalizeUpload', { uploadId, title: 'Finalized after the outage' }, artist.headers, 20_000);
    expect(failed.status).toBe(503);
    expect(trpcCode(failed)).toBe('SERVICE_UNAVAILABLE');
    expect(failed.ms).toBeLessThan(10_000);
    expect(DRIVER_TEXT.exec(failed.text)?.[0]).toBeUndefined();

    await storage.setMode('up');
    await eventually('/ready is 200 again', async () => (await ready()).status === 200);
    const done = await trpcMutation(app.url, 'tracks.finalizeUpload', { uploadId, title: 'Finalized after the outage' }, artist.headers);
    expect(done.status).toBe(200);
    const track = done.json.result.data as Track;
    expect(await storedBytes(track, 'public')).toEqual(bytes);
  });
});

describe('storage down in the middle of a move', () => {
  let worker: TestWorker | undefined;
  afterAll(async () => {
    await worker?.close();
  });

  /**
   * Gates a public track, takes the storage down at `step` of the move (once), brings it back after
   * `downMs`, and waits for the move's retries to finish.
   */
  async function moveThroughOutage(step: 'afterCopy' | 'beforeDeleteSource' | 'beforeRecordWrite', downMs: number) {
    const bytes = mp3Bytes(5_000);
    const track = await uploadTrack(app, artist, { title: `Moved through an outage at ${step}`, bytes });
    let struck = false;
    let rowDuringOutage: { bucket: string } | undefined;
    worker = await startMoveWorker(app, {
      [step]: async () => {
        if (struck) return;
        struck = true;
        await storage.setMode('refuse');
        rowDuringOutage = await app.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, track.id) });
        setTimeout(() => void storage.setMode('up'), downMs);
      },
    });
    const update = await trpcMutation(app.url, 'tracks.update', { id: track.id, supportGate: { type: 'any' } }, artist.headers);
    expect(update.status).toBe(200);
    await eventually('the outage struck', async () => struck, 15_000);
    await eventually(
      'the move finished',
      async () => {
        const row = await app.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, track.id) });
        return row!.moving === false && row!.recordCid !== null;
      },
      30_000,
      250,
    );
    await worker.close();
    worker = undefined;
    return { track, bytes, rowDuringOutage: rowDuringOutage! };
  }

  async function expectSettledGated(track: Track, bytes: Buffer) {
    expect(await bucketsHolding(app, track)).toEqual(['private']);
    expect(await storedBytes(track, 'private')).toEqual(bytes);
    expect(await storedBytes(track, 'public')).toBeNull();
    const record = await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id));
    expect(record).toMatchObject({ audioUrl: `${app.ctx.env.publicUrl}/audio/${track.fileId}`, supportGate: { type: 'any' } });
    expect((await http(`${app.url}/audio/${track.fileId}`, { headers: artist.headers })).status).toBe(307);
  }

  it('down after the copy, before it is verified: the row keeps pointing at the source until a verified copy exists', async () => {
    const { track, bytes, rowDuringOutage } = await moveThroughOutage('afterCopy', 2_000);
    expect(rowDuringOutage.bucket).toBe('public');
    await expectSettledGated(track, bytes);
  });

  it('down after the switch, before the source is deleted: the delete is retried, the copy kept', async () => {
    const { track, bytes, rowDuringOutage } = await moveThroughOutage('beforeDeleteSource', 2_000);
    expect(rowDuringOutage.bucket).toBe('private');
    await expectSettledGated(track, bytes);
  });
});
