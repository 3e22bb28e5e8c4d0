import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restRoutes, type RestRoute } from '@plyr/api';
import { startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { seedMember, seedTrack, type Member, type SeededTrack } from '../reliability/support/seed.js';
import { rest } from './support/stack.js';

/**
 * What the host does around the REST routes, as /trpc does it: the credentials, the CSRF rule, the
 * rate-limit groups and headers, body limits, and bad input answered with 4xx, never 5xx.
 */

let fans: FakeAtprotofans;
let app: TestApp;
let owner: Member;
let ownTrack: SeededTrack;
let othersTrack: SeededTrack;

beforeAll(async () => {
  fans = await startFakeAtprotofans();
  app = await startTestApp({ RATE_LIMIT_ENABLED: 'false', ATPROTOFANS_URL: fans.url });
  owner = await seedMember(app.services, 'owner');
  const other = await seedMember(app.services, 'other');
  ownTrack = await seedTrack(app.services, owner, { gated: false });
  othersTrack = await seedTrack(app.services, other, { gated: true });
});

afterAll(async () => {
  await app?.close();
  await fans?.close();
});

const EVIL = 'https://evil.example';

describe('credentials and CSRF on /v1', () => {
  it('takes the session cookie or a bearer token; an unknown bearer token is 401 even on a public route', async () => {
    expect((await rest(app, 'GET', '/me', { headers: owner.cookie })).body).toEqual({ did: owner.did, handle: owner.handle });
    expect((await rest(app, 'GET', '/me', { headers: owner.bearer })).body).toEqual({ did: owner.did, handle: owner.handle });
    const dead = await rest(app, 'GET', '/tracks', { headers: { authorization: 'Bearer plyr_dev_unknown' } });
    expect(dead.status).toBe(401);
    expect(dead.body).toMatchObject({ code: 'UNAUTHORIZED', message: 'The bearer token is unknown, expired or revoked' });
    expect((await rest(app, 'GET', '/me')).status).toBe(401);
  });

  it('refuses a cookie-borne change from an origin that is not allowed (403, REST error body); a bearer token from anywhere is fine', async () => {
    const body = { title: 'Renamed' };
    const crossSite = await rest(app, 'PATCH', `/tracks/${ownTrack.id}`, { headers: { ...owner.cookie, origin: EVIL }, body });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body).toEqual({ code: 'FORBIDDEN', message: 'Cross-site request refused' });
    const fetchMetadata = await rest(app, 'DELETE', `/tracks/${ownTrack.id}/like`, { headers: { ...owner.cookie, 'sec-fetch-site': 'cross-site' } });
    expect(fetchMetadata.status).toBe(403);
    const row = await app.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, ownTrack.id) });
    expect(row!.title).not.toBe('Renamed');

    const bearer = await rest(app, 'PATCH', `/tracks/${ownTrack.id}`, { headers: { ...owner.bearer, origin: EVIL }, body });
    expect(bearer.status).toBe(200);
    expect(bearer.body.title).toBe('Renamed');
    expect((await rest(app, 'GET', '/me', { headers: { ...owner.cookie, origin: EVIL } })).status).toBe(200);
  });
});

describe('HTTP details', () => {
  it('maps error codes to the same statuses as /trpc, with the documented body', async () => {
    const notFound = await rest(app, 'GET', '/tracks/00000000-0000-4000-8000-000000000000');
    expect(notFound.status).toBe(404);
    expect(notFound.body).toMatchObject({ code: 'NOT_FOUND', message: 'No such track', data: { httpStatus: 404, path: 'tracks.byId' } });
    const forbidden = await rest(app, 'DELETE', `/tracks/${othersTrack.id}`, { headers: owner.bearer });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('FORBIDDEN');
    const notSupporter = await rest(app, 'GET', `/tracks/${othersTrack.id}/download`, { headers: owner.bearer });
    expect(notSupporter.status).toBe(402);
    expect(notSupporter.body.code).toBe('PAYMENT_REQUIRED');
  });

  it('answers bad input with 400 and the problems per field', async () => {
    const res = await rest(app, 'PATCH', `/tracks/${ownTrack.id}`, { headers: owner.bearer, body: { supportGate: { type: 'some' }, title: '' } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('BAD_REQUEST');
    expect(res.body.issues.map((i: { path: string[] }) => i.path[0]).sort()).toEqual(['supportGate', 'title']);
    expect(Object.keys(res.body.data.zodError.fieldErrors).sort()).toEqual(['supportGate', 'title']);
    const query = await rest(app, 'GET', '/tracks?limit=many');
    expect(query.status).toBe(400);
    expect(query.body.data.zodError.fieldErrors.limit).toBeDefined();
  });

  it('malformed JSON → 400, a body that is not JSON → 415, over 1 MB → 413, unknown route → 404: all in the error body', async () => {
    const malformed = await rest(app, 'POST', '/uploads', { headers: owner.bearer, rawBody: '{"filename":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ code: 'PARSE_ERROR', message: 'The request body is not valid JSON' });

    const text = await fetch(`${app.url}/v1/uploads`, { method: 'POST', headers: { ...owner.bearer, 'content-type': 'text/plain' }, body: 'hi' });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });

    const huge = await rest(app, 'POST', '/uploads', { headers: owner.bearer, rawBody: JSON.stringify({ filename: 'x'.repeat(1_100_000) }) });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');

    const charset = await fetch(`${app.url}/v1/developer-tokens`, {
      method: 'POST',
      headers: { ...owner.cookie, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ name: 'charset' }),
    });
    expect(charset.status).toBe(200);

    const unknown = await rest(app, 'GET', '/no/such/route');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
  });

  it('a PUT without a body needs no Content-Type (PUT /v1/tracks/{id}/like)', async () => {
    const res = await fetch(`${app.url}/v1/tracks/${ownTrack.id}/like`, { method: 'PUT', headers: owner.bearer });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: ownTrack.id, liked: true });
  });
});

/** Strings that break naive code, then any JSON value with them as leaves. */
const nastyString = fc.oneof(
  fc.constantFrom('', ' ', '\u0000', '\uD800', '../../etc/passwd', '%00', "' OR '1'='1", 'x'.repeat(5_000), 'NaN', 'null', '{}', '[]'),
  fc.string({ unit: 'binary', maxLength: 32 }),
  fc.uuid(),
);
const nastyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    nastyString,
    fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    fc.constantFrom(null, true, false),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(nastyString, fc.constantFrom('__proto__', 'constructor')), tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** Lone surrogates cannot be written into a URL at all; a client could not send them. */
function encodable(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** A request to a route with fuzzed path parameters, query and body. */
function fuzzedRequest(route: RestRoute) {
  const segment = fc.oneof(fc.constantFrom(ownTrack.id, othersTrack.id), nastyString.filter((s) => s.length > 0 && encodable(s)));
  const query = fc.dictionary(fc.constantFrom('limit', 'cursor', 'artistDid', 'id', 'x'), nastyString, { maxKeys: 3 });
  const body = fc.oneof(nastyValue, fc.dictionary(fc.constantFrom('title', 'supportGate', 'filename', 'size', 'artistDids', 'name', 'uploadId'), nastyValue));
  return fc.record({ segment, query, body, signedIn: fc.boolean() }).map(({ segment: s, query: q, body: b, signedIn }) => ({
    path: route.path.replace(/\{\w+\}/g, encodeURIComponent(s)) + (Object.keys(q).length ? `?${new URLSearchParams(q)}` : ''),
    body: route.method === 'GET' || route.method === 'DELETE' ? undefined : b,
    headers: signedIn ? owner.bearer : {},
  }));
}

describe('bad input on every REST route', () => {
  it.each(restRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: 4xx or success, never 5xx', async (_name, route) => {
    await fc.assert(
      fc.asyncProperty(fuzzedRequest(route), async (request) => {
        const res = await rest(app, route.method, request.path, { headers: request.headers, body: request.body });
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
        if (res.status >= 400) {
          expect(typeof res.body.code).toBe('string');
          expect(typeof res.body.message).toBe('string');
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe('rate limits on /v1', () => {
  let limited: TestApp;
  let artist: Member;
  beforeAll(async () => {
    limited = await startTestApp({ RATE_LIMIT_UPLOAD: '3/minute', RATE_LIMIT_DEFAULT: '50/minute' });
    artist = await seedMember(limited.services, 'uploader');
  });
  afterAll(() => limited?.close());

  it('a REST route pays in its procedure group, sharing the counter with /trpc; over it: 429, Retry-After, the REST body', async () => {
    const upload = { filename: 'a.mp3', contentType: 'audio/mpeg', size: 1000 };
    const first = await rest(limited, 'POST', '/uploads', { headers: artist.bearer, body: upload });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toMatch(/^"upload"; q=3; w=60/);
    expect(first.headers.get('ratelimit')).toMatch(/^"upload"; r=2; t=\d+/);
    // The same group through /trpc: one counter per group and account, whatever the transport.
    const trpc = await fetch(`${limited.url}/trpc/tracks.createUpload`, {
      method: 'POST',
      headers: { ...artist.bearer, 'content-type': 'application/json' },
      body: JSON.stringify(upload),
    });
    expect(trpc.status).toBe(200);
    expect(trpc.headers.get('ratelimit')).toMatch(/^"upload"; r=1;/);
    expect((await rest(limited, 'POST', '/uploads', { headers: artist.bearer, body: upload })).status).toBe(200);

    const over = await rest(limited, 'POST', '/uploads', { headers: artist.bearer, body: upload });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(over.body).toEqual({ code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/^Too many requests: the upload limit is 3\/minute/) });
    // Other groups are untouched.
    const me = await rest(limited, 'GET', '/me', { headers: artist.bearer });
    expect(me.status).toBe(200);
    expect(me.headers.get('ratelimit-policy')).toMatch(/^"default"; q=50;/);
  });
});
