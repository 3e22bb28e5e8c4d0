import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { users } from '@plyr/db';
import { didForTest, startFakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';

type Fake = Awaited<ReturnType<typeof startFakeAtprotofans>>;

const viewer = didForTest('viewer');
const artistA = didForTest('artist-a');
const artistB = didForTest('artist-b');
// Never asked before the failure test: no tier (memory outlives the Redis flush) holds an answer for it.
const artistC = didForTest('artist-c');

describe('supporters router', () => {
  let app: TestApp;
  let fans: Fake;
  let token: string;

  const call = async (path: string, input: unknown, auth = true) => {
    const res = await fetch(`${app.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, {
      headers: auth ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    fans = await startFakeAtprotofans({ supporters: [[viewer, artistA]] });
    app = await startTestApp({ ATPROTOFANS_URL: fans.url, RATE_LIMIT_ENABLED: 'false' });
    await app.services.db.insert(users).values({ did: viewer, handle: 'viewer.test' });
    token = (await app.services.auth.developerTokens.create(viewer, { name: 'tests' })).token;
  });
  afterAll(async () => {
    await app.close();
    await fans.close();
  });
  beforeEach(async () => {
    fans.setMode('ok');
    await app.services.redis!.flushdb();
    app.services.supporters.forgetLocalAnswers();
  });

  it('answers yes and no from atprotofans', async () => {
    expect(await call('supporters.check', { artistDid: artistA })).toMatchObject({ status: 200, body: { result: { data: { supporter: true, source: 'atprotofans' } } } });
    expect(await call('supporters.check', { artistDid: artistB })).toMatchObject({ status: 200, body: { result: { data: { supporter: false, source: null } } } });
  });

  it('answers SERVICE_UNAVAILABLE, never false, when atprotofans fails', async () => {
    fans.setMode('error500');
    const { status, body } = await call('supporters.check', { artistDid: artistC });
    expect(status).toBe(503);
    expect(body.error.data.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('requires a signed-in viewer', async () => {
    expect((await call('supporters.check', { artistDid: artistA }, false)).status).toBe(401);
  });

  it('lists supported artists, deduplicating input and listing failures apart', async () => {
    const { body } = await call('supporters.supportedArtists', { artistDids: [artistA, artistB, artistA] });
    expect(body.result.data).toEqual({ supported: [artistA], unavailable: [] });
    expect(fans.requests).toBeGreaterThan(0);
  });

  it('refuses invalid DIDs and more than 100 artists before asking upstream', async () => {
    const before = fans.requests;
    const invalid = await call('supporters.supportedArtists', { artistDids: ['not-a-did'] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.data.zodError).toBeTruthy();
    const tooMany = Array.from({ length: 101 }, (_, i) => didForTest(`many-${i}`));
    expect((await call('supporters.supportedArtists', { artistDids: tooMany })).status).toBe(400);
    expect((await call('supporters.check', { artistDid: 'did:plc:../../etc' })).status).toBe(400);
    expect(fans.requests).toBe(before);
  });
});

describe('credentials on public procedures', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ RATE_LIMIT_ENABLED: 'false' });
  });
  afterAll(() => app.close());

  it('answers an unknown bearer token with 401 even where no sign-in is needed', async () => {
    const res = await fetch(`${app.url}/trpc/tracks.list?input=${encodeURIComponent('{}')}`, {
      headers: { authorization: 'Bearer plyr_dev_forged' },
    });
    expect(res.status).toBe(401);
    expect((await res.json()).error.data.code).toBe('UNAUTHORIZED');
    expect((await fetch(`${app.url}/trpc/tracks.list?input=${encodeURIComponent('{}')}`)).status).toBe(200);
  });
});
