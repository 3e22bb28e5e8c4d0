import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startFakeAtprotofans, startTcpProxy, type FakeAtprotofans, type TcpProxy } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs } from '@plyr/testing/atproto/login';
import { anonymous, mp3Bytes, mutate, ok, uploadTrack, type Caller, type Track } from '../tracks/helpers.js';

/** `GET|HEAD /audio/:fileId`, row by row of the SPEC.md table. Postgres is reached through a proxy the test can cut. */

const TTL = 120;

let network: LocalAtprotoNetwork;
let fans: FakeAtprotofans;
let pgProxy: TcpProxy;
let dropDatabase: () => Promise<void>;
let app: TestApp;
let artist: Caller;
let supporterByToken: Caller;
let stranger: Caller;
let publicTrack: Track;
let gatedTrack: Track;
const gatedBytes = mp3Bytes(4_000);

beforeAll(async () => {
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  const url = new URL(database.url);
  pgProxy = await startTcpProxy(Number(url.port || 5432));
  url.port = String(pgProxy.port);
  network = await startLocalAtprotoNetwork();
  fans = await startFakeAtprotofans();
  app = await startTestApp(
    { ...network.env, ATPROTOFANS_URL: fans.url, RATE_LIMIT_ENABLED: 'false', PRESIGNED_URL_TTL_SECONDS: String(TTL) },
    { databaseUrl: url.toString() },
  );
  const [a, s, n] = await Promise.all(['audioartist', 'audiofan', 'audiostranger'].map((name) => network.createAccount(name)));
  artist = await loginAs(app, a!.handle, a!.password);
  stranger = await loginAs(app, n!.handle, n!.password);
  // The supporter plays through a developer token, as an ATProto client or the CLI would.
  const fanSession = await loginAs(app, s!.handle, s!.password);
  const { token } = ok(await mutate<{ token: string }>(app, fanSession, 'auth.developerTokens.create', { name: 'player' }));
  supporterByToken = { headers: { authorization: `Bearer ${token}` } };
  fans.setSupporters([[s!.did, a!.did]]);

  publicTrack = await uploadTrack(app, artist, { title: 'Open' });
  gatedTrack = await uploadTrack(app, artist, { title: 'Closed', supportGate: { type: 'any' }, bytes: gatedBytes });
});

afterAll(async () => {
  await app?.close();
  await fans?.close();
  await network?.close();
  await pgProxy?.close();
  await dropDatabase?.();
});

const METHODS = ['GET', 'HEAD'] as const;

function audio(path: string, who: Caller = anonymous, method: 'GET' | 'HEAD' = 'GET'): Promise<Response> {
  return fetch(`${app.url}/audio/${path}`, { method, redirect: 'manual', headers: who.headers });
}

describe('GET|HEAD /audio/:fileId', () => {
  it('answers 404 for malformed ids without touching the database', async () => {
    const malformed = ['..%2Fx', '..%2F..%2Fetc%2Fpasswd', 'a'.repeat(500), '%00', `${'a'.repeat(31)}%00`, 'A'.repeat(32), 'a'.repeat(31), 'a'.repeat(33), `${'a'.repeat(32)}.mp3`];
    await pgProxy.stop();
    try {
      for (const id of malformed) {
        for (const method of METHODS) {
          const res = await audio(id, artist, method);
          expect(res.status, `${method} ${id}`).toBe(404);
        }
      }
      // A well-formed id does need the database, which is down: proof the 404s above never asked it.
      const wellFormed = await audio('f'.repeat(32), artist);
      expect(wellFormed.status).toBe(503);
      expect(wellFormed.headers.get('retry-after')).toBe('5');
    } finally {
      await pgProxy.start();
    }
  });

  it('answers 404 for an unknown id', async () => {
    for (const method of METHODS) expect((await audio('0'.repeat(32), anonymous, method)).status).toBe(404);
  });

  it('redirects public audio to the CDN (307, HEAD too) without asking atprotofans', async () => {
    fans.reset();
    for (const method of METHODS) {
      const res = await audio(publicTrack.fileId, stranger, method);
      expect(res.status).toBe(307);
      expect(res.headers.get('location')).toBe(app.services.storage.cdnUrl(publicTrack.fileId, 'mp3'));
    }
    expect(fans.requests).toBe(0);
  });

  it('answers 401 to a gated track without credentials, or with unknown ones', async () => {
    for (const method of METHODS) {
      for (const who of [anonymous, { headers: { authorization: 'Bearer plyr_dt_not-a-real-token' } }, { headers: { cookie: 'session_id=bogus' } }]) {
        const res = await audio(gatedTrack.fileId, who, method);
        expect(res.status).toBe(401);
        expect(res.headers.get('cache-control')).toBe('private, no-store');
        expect(res.headers.get('location')).toBeNull();
      }
    }
  });

  it('answers 402 with X-Support-Required to a signed-in non-supporter', async () => {
    for (const method of METHODS) {
      const res = await audio(gatedTrack.fileId, stranger, method);
      expect(res.status).toBe(402);
      expect(res.headers.get('x-support-required')).toBe('true');
      expect(res.headers.get('cache-control')).toBe('private, no-store');
      expect(res.headers.get('location')).toBeNull();
    }
  });

  for (const [who, caller] of [
    ['the artist (cookie)', () => artist],
    ['a supporter (bearer developer token)', () => supporterByToken],
  ] as const) {
    it(`lets ${who} play: HEAD 200 with no body, GET 307 to a presigned URL valid PRESIGNED_URL_TTL_SECONDS`, async () => {
      const head = await audio(gatedTrack.fileId, caller(), 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers.get('cache-control')).toBe('private, no-store');
      expect(await head.text()).toBe('');

      const get = await audio(gatedTrack.fileId, caller());
      expect(get.status).toBe(307);
      expect(get.headers.get('cache-control')).toBe('private, no-store');
      const location = new URL(get.headers.get('location')!);
      expect(location.pathname).toBe(`/${app.services.storage.config.privateBucket}/audio/${gatedTrack.fileId}.mp3`);
      expect(location.searchParams.get('X-Amz-Expires')).toBe(String(TTL));

      const ranged = await fetch(location, { headers: { Range: 'bytes=100-199' } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${gatedBytes.length}`);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(gatedBytes.subarray(100, 200))).toBe(true);
    });
  }

  it('has the storage refuse the presigned URL altered by one character', async () => {
    const location = (await audio(gatedTrack.fileId, artist)).headers.get('location')!;
    const url = new URL(location);
    const signature = url.searchParams.get('X-Amz-Signature')!;
    url.searchParams.set('X-Amz-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
    expect((await fetch(url)).status).toBe(403);
    // Another object under the same signature is refused too.
    const otherKey = location.replace(gatedTrack.fileId, publicTrack.fileId);
    expect((await fetch(otherKey)).status).toBe(403);
    expect((await fetch(location)).status).toBe(200);
  });

  it('answers 503 with Retry-After while atprotofans fails, and never 402', async () => {
    await app.services.redis!.flushdb();
    app.services.supporters.forgetLocalAnswers();
    fans.setMode('error500');
    try {
      for (const method of METHODS) {
        const res = await audio(gatedTrack.fileId, supporterByToken, method);
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(res.headers.get('cache-control')).toBe('private, no-store');
      }
    } finally {
      fans.setMode('ok');
    }
    expect((await audio(gatedTrack.fileId, supporterByToken, 'HEAD')).status).toBe(200);
  });

  it('answers only GET and HEAD', async () => {
    const res = await fetch(`${app.url}/audio/${publicTrack.fileId}`, { method: 'DELETE', redirect: 'manual', headers: artist.headers });
    expect(res.status).toBe(404);
    expect((await audio(publicTrack.fileId, anonymous)).status).toBe(307);
  });
});
