import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PostgresSessionStore } from '@plyr/core/auth';
import { startFakeAtprotofans, whenJobsIdle, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { OwnRedis } from '../rate-limit/client.js';
import { bucketsHolding, readTrackRecord, recordKeyOf, uploadTrack, type Track } from '../tracks/helpers.js';
import { http, type HttpAnswer, type HttpOptions } from '../reliability/support/http.js';
import { DRIVER_TEXT } from '../reliability/support/leak-patterns.js';
import { captureLogin, type CapturedLogin } from '../reliability/support/login.js';

/**
 * Real sign-ins on a local PDS, real uploads and moves: another user can change nothing of an
 * artist's gated track, its bytes are reachable only through a valid presigned URL, and none of the
 * secrets handled on the way (session, exchange and developer tokens, OAuth code and tokens, keys)
 * ever shows up in a log line or an error body.
 */

const PRESIGN_TTL_SECONDS = 2;

let network: LocalAtprotoNetwork;
let atprotofans: FakeAtprotofans;
let app: TestApp;
let artist: CapturedLogin;
let listener: CapturedLogin;
let developerToken: string;
let redis: OwnRedis;
/** Every answer this file received, for the stack-trace and secret scan at the end. */
const answers: HttpAnswer[] = [];

async function call(path: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const answer = await http(`${app.url}${path}`, options);
  answers.push(answer);
  return answer;
}
const query = (path: string, input: unknown, headers: Record<string, string>) =>
  call(`/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers });
const mutate = (path: string, input: unknown, headers: Record<string, string>) =>
  call(`/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(input) });

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  atprotofans = await startFakeAtprotofans();
  // A redis-server of its own: the moves below must not meet another run's queue or flushes.
  redis = await OwnRedis.start();
  app = await startTestApp({
    ...network.env,
    ATPROTOFANS_URL: atprotofans.url,
    RATE_LIMIT_ENABLED: 'false',
    PRESIGNED_URL_TTL_SECONDS: String(PRESIGN_TTL_SECONDS),
    // The strictest level: nothing secret may be logged at any level.
    LOG_LEVEL: 'trace',
  }, { redisUrl: redis.url });
  const [a, b] = await Promise.all([network.createAccount('flow-artist'), network.createAccount('flow-listener')]);
  artist = await captureLogin(app, a, 'cookie');
  listener = await captureLogin(app, b, 'token');
  const created = await mutate('auth.developerTokens.create', { name: 'cli' }, artist.headers);
  developerToken = created.json.result.data.token;
});

afterAll(async () => {
  await app?.close();
  await atprotofans?.close();
  await redis?.stop();
  await network?.close();
});

describe("another user and an artist's gated track", () => {
  let track: Track;
  beforeAll(async () => {
    track = await uploadTrack(app, artist, { title: 'Supporters only', supportGate: { type: 'any' } });
  });

  it('update, un-gate, delete and download are refused, and nothing changes: row, storage, record, access', async () => {
    const rowBefore = await app.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, track.id) });
    const recordBefore = await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id));

    const attempts = [
      () => mutate('tracks.update', { id: track.id, title: 'Stolen' }, listener.headers),
      () => mutate('tracks.update', { id: track.id, supportGate: null }, listener.headers),
      () => mutate('tracks.delete', { id: track.id }, listener.headers),
    ];
    for (const attempt of attempts) {
      const res = await attempt();
      expect(res.status).toBe(403);
      expect(res.json.error.data.code).toBe('FORBIDDEN');
    }
    const download = await query('downloads.track', { id: track.id }, listener.headers);
    expect(download.status).toBe(402);
    expect(download.text).not.toContain('X-Amz-Signature');
    const audio = await call(`/audio/${track.fileId}`, { headers: listener.headers });
    expect(audio.status).toBe(402);
    expect(audio.headers.get('location')).toBeNull();

    await whenJobsIdle(app.services.db, { timeoutMs: 10_000 });
    expect(await app.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, track.id) })).toEqual(rowBefore);
    expect(await bucketsHolding(app, track)).toEqual(['private']);
    expect(await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id))).toEqual(recordBefore);
  });

  it("the artist's own developer token may change it (control: the refusals above are about ownership)", async () => {
    const res = await mutate('tracks.update', { id: track.id, title: 'Supporters only (remaster)' }, { authorization: `Bearer ${developerToken}` });
    expect(res.status).toBe(200);
    expect(res.json.result.data.title).toBe('Supporters only (remaster)');
    await whenJobsIdle(app.services.db, { timeoutMs: 20_000 });
  });
});

describe('gated bytes and presigned URLs', () => {
  let gated: Track;
  let other: Track;
  beforeAll(async () => {
    [gated, other] = await Promise.all([
      uploadTrack(app, artist, { title: 'Gated A', supportGate: { type: 'any' } }),
      uploadTrack(app, artist, { title: 'Gated B', supportGate: { type: 'any' } }),
    ]);
  });

  async function presignedUrl(track: Track): Promise<URL> {
    const res = await call(`/audio/${track.fileId}`, { headers: artist.headers });
    expect(res.status).toBe(307);
    return new URL(res.headers.get('location')!);
  }
  const fetchStorage = (url: URL | string) => fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });

  it('the artist is redirected to a presigned URL that serves the bytes; the CDN and an unsigned URL do not', async () => {
    const url = await presignedUrl(gated);
    const served = await fetchStorage(url);
    expect(served.status).toBe(200);
    expect((await served.arrayBuffer()).byteLength).toBeGreaterThan(0);

    expect((await fetchStorage(app.services.storage.cdnUrl(gated.fileId, gated.fileType))).status).not.toBe(200);
    const unsigned = new URL(url.pathname, url.origin);
    expect((await fetchStorage(unsigned)).status).toBe(403);
  });

  it('an altered presigned URL is refused by the storage', async () => {
    const url = await presignedUrl(gated);
    const otherUrl = await presignedUrl(other);
    const signature = url.searchParams.get('X-Amz-Signature')!;
    const alter = (change: (u: URL) => void) => {
      const u = new URL(url);
      change(u);
      return u;
    };
    const altered: Array<[string, URL]> = [
      ['signature changed', alter((u) => u.searchParams.set('X-Amz-Signature', signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'))))],
      ['signature removed', alter((u) => u.searchParams.delete('X-Amz-Signature'))],
      ['lifetime extended', alter((u) => u.searchParams.set('X-Amz-Expires', '604800'))],
      ['date moved', alter((u) => u.searchParams.set('X-Amz-Date', '20990101T000000Z'))],
      ['another object, same signature', alter((u) => (u.pathname = new URL(otherUrl).pathname))],
      ["another URL's signature", alter((u) => u.searchParams.set('X-Amz-Signature', otherUrl.searchParams.get('X-Amz-Signature')!))],
    ];
    for (const [how, u] of altered) {
      const res = await fetchStorage(u);
      expect([400, 403], how).toContain(res.status);
    }
  });

  it(`an expired presigned URL (PRESIGNED_URL_TTL_SECONDS=${PRESIGN_TTL_SECONDS}) is refused by the storage`, async () => {
    const url = await presignedUrl(gated);
    expect((await fetchStorage(url)).status).toBe(200);
    // The test S3 server runs in this process and judges expiry by its clock: moved past it, not waited on.
    const params = new URL(url).searchParams;
    expect(Number(params.get('X-Amz-Expires'))).toBe(PRESIGN_TTL_SECONDS);
    const signedAt = Date.parse(params.get('X-Amz-Date')!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(signedAt + (PRESIGN_TTL_SECONDS - 1) * 1000);
      expect((await fetchStorage(url)).status).toBe(200);
      vi.setSystemTime(signedAt + (PRESIGN_TTL_SECONDS + 1) * 1000);
      expect((await fetchStorage(url)).status).toBe(403);
    } finally {
      vi.useRealTimers();
    }
  });

  it('once a public track is gated and moved, the public bucket (the CDN) has no copy left', async () => {
    const track = await uploadTrack(app, artist, { title: 'Soon gated' });
    const cdnUrl = app.services.storage.cdnUrl(track.fileId, track.fileType);
    expect((await fetchStorage(cdnUrl)).status).toBe(200);
    const res = await mutate('tracks.update', { id: track.id, supportGate: { type: 'any' } }, artist.headers);
    expect(res.status).toBe(200);
    // Access follows the gate at once, before the move is done.
    expect((await call(`/audio/${track.fileId}`, { headers: listener.headers })).status).toBe(402);
    await whenJobsIdle(app.services.db, { timeoutMs: 30_000 });
    expect(await bucketsHolding(app, track)).toEqual(['private']);
    expect((await fetchStorage(cdnUrl)).status).not.toBe(200);
    const record = await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id));
    expect(record).toMatchObject({ audioUrl: `${app.ctx.env.publicUrl}/audio/${track.fileId}`, supportGate: { type: 'any' } });
  });
});

describe('secrets', () => {
  it('no secret handled in this file appears in any log line or response body, and no error body has a stack trace', async () => {
    // A few refusals on top of the flows above, each carrying a secret somewhere a careless log would copy it.
    await query('supporters.check', { artistDid: artist.sessionToken }, artist.headers);
    await mutate('auth.exchange', { exchangeToken: artist.exchangeToken, mode: 'cookie' }, {});
    await call(`/no/such/route?token=${developerToken}`, { headers: { authorization: `Bearer ${developerToken}x` } });
    await call(`/auth/callback?code=${artist.authorizationCode}&state=${artist.state}`);
    await mutate('tracks.update', { id: '00000000-0000-4000-8000-000000000000', title: 't' }, { cookie: `session_id=${listener.sessionToken}x` });

    const store = new PostgresSessionStore(app.services.db, app.services.config.sessionEncryptionKey);
    const oauthSecrets: string[] = [];
    for (const did of [artist.did, listener.did]) {
      const saved = await store.get(did);
      expect(saved, `OAuth session of ${did}`).toBeDefined();
      const tokenSet = saved!.tokenSet as { access_token: string; refresh_token?: string };
      oauthSecrets.push(tokenSet.access_token, ...(tokenSet.refresh_token ? [tokenSet.refresh_token] : []));
      oauthSecrets.push(String((saved!.dpopJwk as { d?: string }).d));
    }
    const secrets: Record<string, string> = {
      'artist session cookie': artist.sessionToken,
      'listener bearer session': listener.sessionToken,
      'artist exchange token': artist.exchangeToken,
      'listener exchange token': listener.exchangeToken,
      'artist OAuth code': artist.authorizationCode,
      'listener OAuth code': listener.authorizationCode,
      'developer token': developerToken,
      'session encryption key': app.services.config.sessionEncryptionKey.toString('base64'),
      // (The S3 secret is left out: the test storage's secret equals its access key id, which presigned URLs carry by design.)
      ...Object.fromEntries(oauthSecrets.map((s, i) => [`OAuth token or DPoP key #${i}`, s])),
    };
    for (const [name, value] of Object.entries(secrets)) expect(value.length, name).toBeGreaterThanOrEqual(6);

    const logText = app.logs.join('');
    // The scan covers the request log of this very run (one line per request at least).
    expect(app.logs.filter((l) => l.includes('/trpc/auth.exchange')).length).toBeGreaterThan(0);
    const inLogs = Object.entries(secrets).filter(([, v]) => logText.includes(v)).map(([k]) => k);
    expect(inLogs, 'secrets found in the logs').toEqual([]);

    const bodies = answers.map((a) => a.text).join('\n');
    const inBodies = Object.entries(secrets)
      .filter(([name]) => name !== 'developer token')
      .filter(([, v]) => bodies.includes(v))
      .map(([k]) => k);
    expect(inBodies, 'secrets found in response bodies').toEqual([]);
    // The developer token is in exactly one body: the create answer that shows it once.
    expect(answers.filter((a) => a.text.includes(developerToken))).toHaveLength(1);

    const errors = answers.filter((a) => a.status >= 400);
    expect(errors.length).toBeGreaterThan(5);
    for (const e of errors) {
      expect(e.text).not.toMatch(/\n\s+at |\bat .+\(.+:\d+:\d+\)/);
      expect(DRIVER_TEXT.exec(e.text)?.[0]).toBeUndefined();
    }
  });
});
