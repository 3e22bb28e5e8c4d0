import { randomBytes } from 'node:crypto';
import { parse } from 'content-disposition';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, likes, tracks, users, type DbHandle } from '@plyr/db';
import { createTestDatabase } from '@plyr/testing';
import { didForTest, startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestS3 } from '@plyr/testing';
import {
  downloadLikedTracks,
  downloadTrack,
  getDownloadPreferences,
  setDownloadPreferences,
} from '../../src/downloads/index.js';
import { createStorage, type BucketName, type Storage } from '../../src/storage/index.js';
import { createSupporterService } from '../../src/supporters/index.js';
import type { Services } from '../../src/services.js';

const TTL = 120;
const artist = didForTest('dl artist');
const otherArtist = didForTest('dl other artist');
const supporter = didForTest('dl supporter');
const stranger = didForTest('dl stranger');

let database: { url: string; drop: () => Promise<void> };
let handle: DbHandle;
let s3: Awaited<ReturnType<typeof startTestS3>>;
let storage: Storage;
let fake: FakeAtprotofans;
let svc: Pick<Services, 'db' | 'storage' | 'supporters' | 'config'>;
let presigned: string[];

interface SeededTrack {
  id: string;
  bytes: Uint8Array;
}

async function putAudio(bucket: BucketName, key: string, bytes: Uint8Array, contentType: string): Promise<void> {
  const url = await storage.presignPut(key, { contentType, contentLength: bytes.length, expiresInSeconds: 60 });
  const res = await fetch(url, { method: 'PUT', body: Buffer.from(bytes), headers: { 'Content-Type': contentType } });
  expect(res.status).toBe(200);
  if (bucket === 'public') {
    await storage.copy({ bucket: 'private', key }, { bucket: 'public', key });
    await storage.delete('private', key);
  }
}

async function seedTrack(opts: { artistDid: string; title: string; gated: boolean; ext?: string }): Promise<SeededTrack> {
  const ext = opts.ext ?? 'mp3';
  const fileId = randomBytes(8).toString('hex');
  const bytes = randomBytes(2048);
  const bucket: BucketName = opts.gated ? 'private' : 'public';
  await putAudio(bucket, storage.audioKey(fileId, ext), bytes, 'audio/mpeg');
  const [row] = await handle.db
    .insert(tracks)
    .values({
      fileId,
      artistDid: opts.artistDid,
      title: opts.title,
      fileType: ext,
      contentType: 'audio/mpeg',
      size: bytes.length,
      bucket,
      supportGate: opts.gated ? { type: 'any' } : null,
    })
    .returning({ id: tracks.id });
  return { id: row!.id, bytes };
}

async function like(did: string, trackId: string): Promise<void> {
  await handle.db.insert(likes).values({ did, trackId });
}

async function fetchDownload(url: string): Promise<{ status: number; bytes: Uint8Array; disposition: string | null }> {
  const res = await fetch(url);
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()), disposition: res.headers.get('content-disposition') };
}

let publicTrack: SeededTrack;
let gatedTrack: SeededTrack;
let otherGatedTrack: SeededTrack;

beforeAll(async () => {
  [database, s3, fake] = await Promise.all([createTestDatabase(), startTestS3(), startFakeAtprotofans()]);
  handle = await createDb({ url: database.url, max: 4 });
  storage = createStorage(s3.config);
  const realPresign = storage.presignGet.bind(storage);
  // Counts presigned URLs (the real ones), to prove none is made for a skipped track.
  storage = {
    ...storage,
    presignGet: (bucket, key, opts) => {
      presigned.push(key);
      return realPresign(bucket, key, opts);
    },
  };
  await handle.db.insert(users).values(
    [
      [artist, 'artist.test'],
      [otherArtist, 'other.test'],
      [supporter, 'supporter.test'],
      [stranger, 'stranger.test'],
    ].map(([did, h]) => ({ did: did!, handle: h! })),
  );
  publicTrack = await seedTrack({ artistDid: artist, title: 'Open Air', gated: false });
  gatedTrack = await seedTrack({ artistDid: artist, title: 'AC/DC "Live"\nin Zurich', gated: true, ext: 'flac' });
  otherGatedTrack = await seedTrack({ artistDid: otherArtist, title: 'Members Only', gated: true });
  for (const did of [supporter, stranger, artist]) {
    await like(did, publicTrack.id);
    await like(did, gatedTrack.id);
    await like(did, otherGatedTrack.id);
  }
});

afterAll(async () => {
  storage?.destroy();
  await handle?.close();
  await Promise.all([database?.drop(), s3?.close(), fake?.close()]);
});

beforeEach(() => {
  presigned = [];
  fake.reset();
  fake.setSupporters([[supporter, artist]]);
  // A fresh cache per test, so each test sees the upstream calls it causes.
  svc = {
    db: handle.db,
    storage,
    supporters: createSupporterService({ atprotofansUrl: fake.url, redis: null, cacheTtlSeconds: 60, timeoutMs: 500 }),
    config: { presignTtlSeconds: TTL } as Services['config'],
  };
});

describe('downloadTrack', () => {
  it('gives a supporter a presigned attachment of the gated track from the private bucket, with the right bytes', async () => {
    const before = Date.now();
    const result = await downloadTrack(svc, supporter, gatedTrack.id, new Date());
    if (!result.ok) throw new Error(`expected a download, got ${result.reason}`);
    const { url, filename, expiresAt } = result.download;
    expect(filename).toBe('artist.test - ACDC Live in Zurich.flac');
    expect(new URL(url).pathname).toContain('/plyr-audio-private/');
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe(String(TTL));
    expect(expiresAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + TTL * 1000);
    expect(expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + TTL * 1000);

    const got = await fetchDownload(url);
    expect(got.status).toBe(200);
    expect(Buffer.from(got.bytes).equals(Buffer.from(gatedTrack.bytes))).toBe(true);
    const disposition = parse(got.disposition!);
    expect(disposition.type).toBe('attachment');
    expect(disposition.parameters.filename).toBe(filename);
    expect(got.disposition).toBe('attachment; filename="artist.test - ACDC Live in Zurich.flac"');
  });

  it('lets the artist download their own gated track without asking atprotofans', async () => {
    const result = await downloadTrack(svc, artist, gatedTrack.id, new Date());
    expect(result.ok).toBe(true);
    expect(fake.requests).toBe(0);
  });

  it('refuses a non-supporter (support_required) and makes no URL', async () => {
    expect(await downloadTrack(svc, stranger, gatedTrack.id, new Date())).toEqual({ ok: false, reason: 'support_required' });
    expect(presigned).toEqual([]);
  });

  it('reports unavailable, not support_required, when atprotofans fails', async () => {
    fake.setMode('error500');
    expect(await downloadTrack(svc, supporter, gatedTrack.id, new Date())).toEqual({ ok: false, reason: 'unavailable' });
    expect(presigned).toEqual([]);
  });

  it('serves a public track from the public bucket to anyone signed in', async () => {
    const result = await downloadTrack(svc, stranger, publicTrack.id, new Date());
    if (!result.ok) throw new Error(result.reason);
    expect(new URL(result.download.url).pathname).toContain('/plyr-audio/');
    const got = await fetchDownload(result.download.url);
    expect(Buffer.from(got.bytes).equals(Buffer.from(publicTrack.bytes))).toBe(true);
    expect(got.disposition).toBe('attachment; filename="artist.test - Open Air.mp3"');
  });

  it('names a title with separators, quotes, a newline and non-ASCII with an ASCII fallback and filename*', async () => {
    const track = await seedTrack({ artistDid: otherArtist, title: 'Zürich / 東京 "Nacht"\r\nmix', gated: false, ext: 'ogg' });
    const result = await downloadTrack(svc, stranger, track.id, new Date());
    if (!result.ok) throw new Error(result.reason);
    expect(result.download.filename).toBe('other.test - Zürich 東京 Nacht mix.ogg');
    // The storage answers the GET with exactly the header signed into the URL.
    expect(new URL(result.download.url).searchParams.get('response-content-disposition')).toBe(
      `attachment; filename="other.test - Zurich _ Nacht mix.ogg"; filename*=UTF-8''other.test%20-%20Z%C3%BCrich%20%E6%9D%B1%E4%BA%AC%20Nacht%20mix.ogg`,
    );
  });

  it('answers not_found for an unknown track', async () => {
    expect(await downloadTrack(svc, supporter, '00000000-0000-4000-8000-000000000000', new Date())).toEqual({ ok: false, reason: 'not_found' });
  });
});

describe('downloadLikedTracks', () => {
  const summary = (items: Awaited<ReturnType<typeof downloadLikedTracks>>) =>
    items.map((i) => [i.track.title, i.skipped, i.download === null ? null : 'url']);

  it('a supporter of the artist gets every track of that artist; another gated artist is skipped as gated', async () => {
    const items = await downloadLikedTracks(svc, supporter, new Date());
    // Newest like first: the likes were stored public, gated, other gated.
    expect(summary(items)).toEqual([
      ['Members Only', 'gated', null],
      ['AC/DC "Live"\nin Zurich', null, 'url'],
      ['Open Air', null, 'url'],
    ]);
    const gated = items[1]!.download!;
    const got = await fetchDownload(gated.url);
    expect(Buffer.from(got.bytes).equals(Buffer.from(gatedTrack.bytes))).toBe(true);
    expect(parse(got.disposition!).type).toBe('attachment');
    // One question per distinct gated artist, asked together.
    expect(fake.requests).toBe(2);
    expect(presigned).toHaveLength(2);
  });

  it('a non-supporter gets the public track; both gated tracks are skipped as gated with no URL made', async () => {
    const items = await downloadLikedTracks(svc, stranger, new Date());
    expect(summary(items)).toEqual([
      ['Members Only', 'gated', null],
      ['AC/DC "Live"\nin Zurich', 'gated', null],
      ['Open Air', null, 'url'],
    ]);
    expect(presigned).toHaveLength(1);
  });

  it('the artist downloads their own gated track', async () => {
    const items = await downloadLikedTracks(svc, artist, new Date());
    expect(summary(items)).toEqual([
      ['Members Only', 'gated', null],
      ['AC/DC "Live"\nin Zurich', null, 'url'],
      ['Open Air', null, 'url'],
    ]);
    expect(fake.requests).toBe(1); // only the other artist is asked about
  });

  it('a supporter-service outage skips gated tracks as unavailable, never as gated', async () => {
    fake.setMode('error500');
    const items = await downloadLikedTracks(svc, supporter, new Date());
    expect(summary(items)).toEqual([
      ['Members Only', 'unavailable', null],
      ['AC/DC "Live"\nin Zurich', 'unavailable', null],
      ['Open Air', null, 'url'],
    ]);
  });

  it('is empty for someone who likes nothing', async () => {
    expect(await downloadLikedTracks(svc, otherArtist, new Date())).toEqual([]);
  });
});

describe('download preferences', () => {
  it('default to no auto-download and keep what was set', async () => {
    expect(await getDownloadPreferences(handle.db, supporter)).toEqual({ autoDownloadLiked: false });
    expect(await setDownloadPreferences(handle.db, supporter, { autoDownloadLiked: true })).toEqual({ autoDownloadLiked: true });
    expect(await getDownloadPreferences(handle.db, supporter)).toEqual({ autoDownloadLiked: true });
    expect(await getDownloadPreferences(handle.db, stranger)).toEqual({ autoDownloadLiked: false });
    await setDownloadPreferences(handle.db, supporter, { autoDownloadLiked: false });
    expect(await getDownloadPreferences(handle.db, supporter)).toEqual({ autoDownloadLiked: false });
  });
});
