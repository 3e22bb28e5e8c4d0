import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAtprotofans, whenJobsIdle, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs } from '@plyr/testing/atproto/login';
import { anonymous, mp3Bytes, mutate, ok, query, uploadTrack, type Caller, type Track } from '../tracks/helpers.js';

/** Likes, `tracks.liked` and `downloads.*` over HTTP: real OAuth logins, PDS, Postgres, Redis, S3. */

type User = Caller & { did: string; handle: string };
interface Download {
  url: string;
  filename: string;
  expiresAt: string;
}
interface LikedItem {
  track: Track;
  download: Download | null;
  skipped: 'gated' | 'unavailable' | null;
}

const TTL = 240;
const UNKNOWN_TRACK = '00000000-0000-4000-8000-000000000000';

let network: LocalAtprotoNetwork;
let fans: FakeAtprotofans;
let app: TestApp;
let artist: User;
let supporter: User;
let stranger: User;
let publicTrack: Track;
let gatedTrack: Track;
const publicBytes = mp3Bytes(5000);
const gatedBytes = mp3Bytes(7000);

async function likeRecordsOf(did: string): Promise<Array<{ uri: string; value: { subject: { uri: string; cid: string }; createdAt: string } }>> {
  const params = new URLSearchParams({ repo: did, collection: 'fm.plyr.like' });
  const res = await fetch(`${network.pdsUrl}/xrpc/com.atproto.repo.listRecords?${params}`, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { records: never[] }).records;
}

async function trackRecordRef(trackId: string): Promise<{ uri: string; cid: string }> {
  const row = await app.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, trackId) });
  return { uri: row!.recordUri!, cid: row!.recordCid! };
}

const like = (who: Caller, id: string) => mutate(app, who, 'tracks.like', { id });
const unlike = (who: Caller, id: string) => mutate(app, who, 'tracks.unlike', { id });
const likedTracks = async (who: Caller) => ok(await query<{ items: LikedItem[] }>(app, who, 'downloads.likedTracks')).items;

beforeAll(async () => {
  [network, fans] = await Promise.all([startLocalAtprotoNetwork(), startFakeAtprotofans()]);
  app = await startTestApp({
    ...network.env,
    ATPROTOFANS_URL: fans.url,
    RATE_LIMIT_ENABLED: 'false',
    PRESIGNED_URL_TTL_SECONDS: String(TTL),
  });
  const signIn = async (name: string) => {
    const account = await network.createAccount(name);
    return loginAs(app, account.handle, account.password);
  };
  [artist, supporter, stranger] = await Promise.all([signIn('dl-artist'), signIn('dl-supporter'), signIn('dl-stranger')]);
  fans.setSupporters([[supporter.did, artist.did]]);
  publicTrack = await uploadTrack(app, artist, { title: 'Open Air', bytes: publicBytes });
  gatedTrack = await uploadTrack(app, artist, { title: 'Members Only', supportGate: { type: 'any' }, bytes: gatedBytes });
  await whenJobsIdle(app.services.db);
});

afterAll(async () => {
  await app?.close();
  await Promise.all([network?.close(), fans?.close()]);
});

describe('tracks.like / tracks.unlike', () => {
  it('like writes fm.plyr.like { subject: { uri, cid } of the track record, createdAt } to the listener PDS; unlike removes it', async () => {
    expect(ok(await like(stranger, publicTrack.id))).toEqual({ id: publicTrack.id, liked: true });
    await whenJobsIdle(app.services.db);
    const records = await likeRecordsOf(stranger.did);
    expect(records).toHaveLength(1);
    expect(records[0]!.value).toEqual({
      $type: 'fm.plyr.like',
      subject: await trackRecordRef(publicTrack.id),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    expect(ok(await unlike(stranger, publicTrack.id))).toEqual({ id: publicTrack.id, liked: false });
    await whenJobsIdle(app.services.db);
    expect(await likeRecordsOf(stranger.did)).toEqual([]);
    expect(ok(await query<{ items: Track[] }>(app, stranger, 'tracks.liked')).items).toEqual([]);
  });

  it('liking twice keeps one like and one record; unliking twice is fine', async () => {
    ok(await like(stranger, gatedTrack.id));
    ok(await like(stranger, gatedTrack.id));
    await whenJobsIdle(app.services.db);
    ok(await like(stranger, gatedTrack.id));
    await whenJobsIdle(app.services.db);
    expect(await likeRecordsOf(stranger.did)).toHaveLength(1);
    expect(ok(await query<{ items: Track[] }>(app, stranger, 'tracks.liked')).items.map((t) => t.id)).toEqual([gatedTrack.id]);

    ok(await unlike(stranger, gatedTrack.id));
    ok(await unlike(stranger, gatedTrack.id));
    await whenJobsIdle(app.services.db);
    expect(await likeRecordsOf(stranger.did)).toEqual([]);
  });

  it('an unlike right after the like leaves no record behind', async () => {
    ok(await like(stranger, publicTrack.id));
    ok(await unlike(stranger, publicTrack.id));
    await whenJobsIdle(app.services.db);
    expect(await likeRecordsOf(stranger.did)).toEqual([]);
  });

  it('refuses an unknown track (NOT_FOUND), a malformed id (BAD_REQUEST) and a signed-out caller (UNAUTHORIZED)', async () => {
    const unknown = await like(stranger, UNKNOWN_TRACK);
    expect([unknown.status, unknown.error?.data.code]).toEqual([404, 'NOT_FOUND']);
    const unknownUnlike = await unlike(stranger, UNKNOWN_TRACK);
    expect(unknownUnlike.error?.data.code).toBe('NOT_FOUND');
    const malformed = await like(stranger, 'not-a-track');
    expect([malformed.status, malformed.error?.data.code]).toEqual([400, 'BAD_REQUEST']);
    const signedOut = await like(anonymous, publicTrack.id);
    expect([signedOut.status, signedOut.error?.data.code]).toEqual([401, 'UNAUTHORIZED']);
    expect((await query(app, anonymous, 'tracks.liked')).status).toBe(401);
  });
});

describe('tracks.liked and downloads.likedTracks', () => {
  beforeAll(async () => {
    for (const who of [supporter, stranger, artist]) {
      ok(await like(who, publicTrack.id));
      ok(await like(who, gatedTrack.id));
    }
    await whenJobsIdle(app.services.db);
  });

  afterAll(async () => {
    for (const who of [supporter, stranger, artist]) {
      ok(await unlike(who, publicTrack.id));
      ok(await unlike(who, gatedTrack.id));
    }
    await whenJobsIdle(app.services.db);
  });

  beforeEach(() => fans.reset());

  it('tracks.liked lists newest like first with gated resolved for the viewer', async () => {
    const forStranger = ok(await query<{ items: Track[] }>(app, stranger, 'tracks.liked')).items;
    expect(forStranger.map((t) => [t.title, t.gated])).toEqual([
      ['Members Only', true],
      ['Open Air', false],
    ]);
    const forSupporter = ok(await query<{ items: Track[] }>(app, supporter, 'tracks.liked')).items;
    expect(forSupporter.map((t) => [t.title, t.gated])).toEqual([
      ['Members Only', false],
      ['Open Air', false],
    ]);
  });

  it('a supporter gets a URL for the gated track that downloads the right bytes as an attachment', async () => {
    const items = await likedTracks(supporter);
    expect(items.map((i) => [i.track.title, i.track.gated, i.skipped])).toEqual([
      ['Members Only', false, null],
      ['Open Air', false, null],
    ]);
    const download = items[0]!.download!;
    expect(download.filename).toBe(`${artist.handle} - Members Only.mp3`);
    const expiresIn = Date.parse(download.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan((TTL - 10) * 1000);
    expect(expiresIn).toBeLessThanOrEqual(TTL * 1000);

    const res = await fetch(download.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(gatedBytes)).toBe(true);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${download.filename}"`);
    const publicRes = await fetch(items[1]!.download!.url);
    expect(Buffer.from(await publicRes.arrayBuffer()).equals(publicBytes)).toBe(true);
  });

  it('a non-supporter has the gated track skipped as gated, with no URL', async () => {
    const items = await likedTracks(stranger);
    expect(items.map((i) => [i.track.title, i.track.gated, i.skipped, i.download])).toEqual([
      ['Members Only', true, 'gated', null],
      ['Open Air', false, null, expect.objectContaining({ filename: `${artist.handle} - Open Air.mp3` })],
    ]);
  });

  it('the artist downloads their own gated track without a supporter check', async () => {
    const items = await likedTracks(artist);
    expect(items.map((i) => [i.track.title, i.skipped])).toEqual([
      ['Members Only', null],
      ['Open Air', null],
    ]);
    const res = await fetch(items[0]!.download!.url);
    expect(Buffer.from(await res.arrayBuffer()).equals(gatedBytes)).toBe(true);
    expect(fans.requests).toBe(0);
  });

  it('a supporter-service outage skips the gated track as unavailable, never as gated', async () => {
    // A listener with no cached answer, so the check has to reach atprotofans.
    const account = await network.createAccount('dl-outage');
    const listener = await loginAs(app, account.handle, account.password);
    fans.addSupporter(listener.did, artist.did);
    ok(await like(listener, publicTrack.id));
    ok(await like(listener, gatedTrack.id));
    fans.setMode('error500');
    const items = await likedTracks(listener);
    expect(items.map((i) => [i.track.title, i.skipped, i.download === null])).toEqual([
      ['Members Only', 'unavailable', true],
      ['Open Air', null, false],
    ]);
    const single = await query(app, listener, 'downloads.track', { id: gatedTrack.id });
    expect([single.status, single.error?.data.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    fans.setMode('ok');
    ok(await unlike(listener, publicTrack.id));
    ok(await unlike(listener, gatedTrack.id));
  });

  it('refuses a signed-out caller', async () => {
    const res = await query(app, anonymous, 'downloads.likedTracks');
    expect([res.status, res.error?.data.code]).toEqual([401, 'UNAUTHORIZED']);
  });
});

describe('downloads.track', () => {
  it('on a gated track: anonymous → UNAUTHORIZED, non-supporter → PAYMENT_REQUIRED, supporter and artist → the file', async () => {
    const signedOut = await query(app, anonymous, 'downloads.track', { id: gatedTrack.id });
    expect([signedOut.status, signedOut.error?.data.code]).toEqual([401, 'UNAUTHORIZED']);

    const refused = await query(app, stranger, 'downloads.track', { id: gatedTrack.id });
    expect([refused.status, refused.error?.data.code]).toEqual([402, 'PAYMENT_REQUIRED']);

    for (const who of [supporter, artist]) {
      const download = ok(await query<Download>(app, who, 'downloads.track', { id: gatedTrack.id }));
      const res = await fetch(download.url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(gatedBytes)).toBe(true);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${artist.handle} - Members Only.mp3"`);
    }
  });

  it('answers NOT_FOUND for an unknown track and BAD_REQUEST for a malformed id', async () => {
    const unknown = await query(app, supporter, 'downloads.track', { id: UNKNOWN_TRACK });
    expect([unknown.status, unknown.error?.data.code]).toEqual([404, 'NOT_FOUND']);
    const malformed = await query(app, supporter, 'downloads.track', { id: '../../etc' });
    expect([malformed.status, malformed.error?.data.code]).toEqual([400, 'BAD_REQUEST']);
  });

  it('names a title with "/", quotes, a newline and non-ASCII safely (ASCII fallback + RFC 8187 filename*)', async () => {
    const track = await uploadTrack(app, artist, { title: 'Zürich / "Nacht"\nmix 東京' });
    const download = ok(await query<Download>(app, stranger, 'downloads.track', { id: track.id }));
    expect(download.filename).toBe(`${artist.handle} - Zürich Nacht mix 東京.mp3`);
    // The storage answers the GET with exactly the Content-Disposition signed into the URL.
    expect(new URL(download.url).searchParams.get('response-content-disposition')).toBe(
      `attachment; filename="${artist.handle} - Zurich Nacht mix _.mp3"; ` +
        `filename*=UTF-8''${encodeURIComponent(`${artist.handle} - Zürich Nacht mix 東京.mp3`)}`,
    );
  });
});

describe('downloads.preferences', () => {
  it('default to off, and a change is seen by every session of the user', async () => {
    const account = await network.createAccount('dl-prefs');
    const laptop = await loginAs(app, account.handle, account.password);
    const phone = await loginAs(app, account.handle, account.password, { mode: 'token' });
    expect(ok(await query(app, laptop, 'downloads.preferences'))).toEqual({ autoDownloadLiked: false });
    expect(ok(await mutate(app, laptop, 'downloads.setPreferences', { autoDownloadLiked: true }))).toEqual({ autoDownloadLiked: true });
    expect(ok(await query(app, phone, 'downloads.preferences'))).toEqual({ autoDownloadLiked: true });
    expect(ok(await query(app, supporter, 'downloads.preferences'))).toEqual({ autoDownloadLiked: false });

    const bad = await mutate(app, phone, 'downloads.setPreferences', { autoDownloadLiked: 'yes' });
    expect([bad.status, bad.error?.data.code]).toEqual([400, 'BAD_REQUEST']);
    const signedOut = await mutate(app, anonymous, 'downloads.setPreferences', { autoDownloadLiked: true });
    expect(signedOut.status).toBe(401);
  });
});
