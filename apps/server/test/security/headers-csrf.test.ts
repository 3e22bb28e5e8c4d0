import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '@plyr/api';
import { productionSecrets, startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { http, type HttpAnswer } from '../reliability/support/http.js';
import { DRIVER_TEXT } from '../reliability/support/leak-patterns.js';
import { listProcedures } from '../reliability/support/procedures.js';
import { seedMember, seedTrack, type Member, type SeededTrack } from '../reliability/support/seed.js';

/**
 * A production-configured API: every route, in every outcome (success, redirect, each refusal,
 * each error), carries the SPEC.md headers; allowed origins get CORS on all of them; cookie-borne
 * mutations from any other origin are refused with 403 and change nothing.
 */

const FRONTEND = 'https://plyr.fm';
const SPEC_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-xss-protection': '1; mode=block',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
};

let app: TestApp;
let atprotofans: FakeAtprotofans;
let listener: Member;
let supporter: Member;
let artist: Member;
let publicTrack: SeededTrack;
let gatedTrack: SeededTrack;

beforeAll(async () => {
  atprotofans = await startFakeAtprotofans();
  app = await startTestApp({
    APP_ENV: 'production',
    PUBLIC_URL: 'https://api.plyr.test',
    FRONTEND_URL: FRONTEND,
    ATPROTOFANS_URL: atprotofans.url,
    RATE_LIMIT_AUTH: '40/minute',
    ...productionSecrets(),
  });
  artist = await seedMember(app.services, 'hdr-artist');
  listener = await seedMember(app.services, 'hdr-listener');
  supporter = await seedMember(app.services, 'hdr-supporter');
  atprotofans.addSupporter(supporter.did, artist.did);
  publicTrack = await seedTrack(app.services, artist, { gated: false });
  gatedTrack = await seedTrack(app.services, artist, { gated: true });
});

afterAll(async () => {
  await app?.close();
  await atprotofans?.close();
});

/** What is wrong with an answer's headers and body, as one line per problem (empty: nothing). */
function specHeaderProblems(res: HttpAnswer): string[] {
  const problems = Object.entries(SPEC_HEADERS)
    .filter(([name, value]) => res.headers.get(name) !== value)
    .map(([name, value]) => `${name} is ${JSON.stringify(res.headers.get(name))}, not ${JSON.stringify(value)}`);
  if (res.headers.get('cross-origin-resource-policy') === 'same-origin') problems.push('CORP same-origin would block cross-site <audio>');
  if (res.headers.get('x-powered-by') !== null) problems.push('x-powered-by present');
  if (/\n\s+at |Error: .*\n/.test(res.text)) problems.push('stack trace in body');
  const leak = DRIVER_TEXT.exec(res.text);
  if (leak) problems.push(`driver text in body: ${leak[0]}`);
  return problems;
}

function expectSpecHeaders(res: HttpAnswer, what: string): void {
  expect(specHeaderProblems(res), what).toEqual([]);
}

/** One request per route and outcome; `expect` pins the status so a changed route cannot pass silently. */
function routeCases(): Array<{ what: string; status: number | number[]; send: (extra: Record<string, string>) => Promise<HttpAnswer> }> {
  const get = (path: string, headers: Record<string, string> = {}) => (extra: Record<string, string>) => http(`${app.url}${path}`, { headers: { ...headers, ...extra } });
  const post = (path: string, body: string, headers: Record<string, string> = {}) => (extra: Record<string, string>) =>
    http(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers, ...extra }, body });
  const cases: Array<{ what: string; status: number | number[]; send: (extra: Record<string, string>) => Promise<HttpAnswer> }> = [
    { what: 'GET /health', status: 200, send: get('/health') },
    { what: 'GET /ready', status: 200, send: get('/ready') },
    { what: 'unknown route', status: 404, send: get('/no/such/route') },
    { what: '/auth/start without a handle', status: 400, send: get('/auth/start') },
    { what: '/auth/callback without parameters', status: 303, send: get('/auth/callback') },
    { what: 'client metadata', status: 200, send: get('/oauth-client-metadata.json') },
    { what: 'JWKS', status: 200, send: get('/.well-known/jwks.json') },
    { what: '/audio malformed id', status: 404, send: get('/audio/..%2f..%2fetc') },
    { what: '/audio unknown id', status: 404, send: get(`/audio/${'0'.repeat(32)}`) },
    { what: '/audio public', status: 307, send: get(`/audio/${publicTrack.fileId}`) },
    { what: '/audio gated, signed out', status: 401, send: get(`/audio/${gatedTrack.fileId}`) },
    { what: '/audio gated, not a supporter', status: 402, send: get(`/audio/${gatedTrack.fileId}`, listener.bearer) },
    { what: '/audio gated, supporter', status: 307, send: get(`/audio/${gatedTrack.fileId}`, supporter.bearer) },
    { what: '/trpc unknown procedure', status: 404, send: get('/trpc/no.such') },
    { what: '/trpc body over 1 MB', status: 413, send: post('/trpc/auth.developerTokens.create', JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES) }), listener.bearer) },
    { what: '/trpc batch over the cap', status: 400, send: get(`/trpc/${Array(21).fill('auth.me').join(',')}?batch=1`) },
    { what: '/trpc malformed JSON', status: 400, send: post('/trpc/auth.exchange', '{"x":') },
  ];
  for (const p of listProcedures()) {
    const send = p.type === 'query' ? (h: Record<string, string>) => get(`/trpc/${p.path}`)(h) : post(`/trpc/${p.path}`, '{}');
    cases.push({ what: `${p.type} ${p.path} signed out`, status: [200, 400, 401], send });
    if (p.path !== 'auth.logout') {
      cases.push({ what: `${p.type} ${p.path} with a bearer token`, status: [200, 400, 403], send: (extra) => send({ ...listener.bearer, ...extra }) });
    }
  }
  return cases;
}

describe('headers on every route', () => {
  it('every route and outcome carries the SPEC.md security headers (production: HSTS too), and no stack trace', async () => {
    const problems: string[] = [];
    for (const c of routeCases()) {
      const res = await c.send({});
      if (![c.status].flat().includes(res.status)) problems.push(`${c.what}: status ${res.status} ${res.text.slice(0, 160)}`);
      problems.push(...specHeaderProblems(res).map((p) => `${c.what}: ${p}`));
    }
    expect(problems).toEqual([]);
  });

  it('the allowed origin gets credentialed CORS, with Vary: Origin, on every route and outcome; another origin gets none', async () => {
    const problems: string[] = [];
    for (const c of routeCases()) {
      const allowed = await c.send({ origin: FRONTEND });
      if (allowed.headers.get('access-control-allow-origin') !== FRONTEND) problems.push(`${c.what}: no Access-Control-Allow-Origin`);
      if (allowed.headers.get('access-control-allow-credentials') !== 'true') problems.push(`${c.what}: no Allow-Credentials`);
      // Without it a shared cache may hand this origin's answer (and its CORS grant) to another origin.
      if (!/\bOrigin\b/i.test(allowed.headers.get('vary') ?? '')) problems.push(`${c.what}: Vary is ${JSON.stringify(allowed.headers.get('vary'))}, without Origin`);
      // Cross-origin fetches must be able to read why they were refused.
      if (!/Retry-After/i.test(allowed.headers.get('access-control-expose-headers') ?? '')) problems.push(`${c.what}: Retry-After not exposed`);
      const other = await c.send({ origin: 'https://plyr.fm.evil.example' });
      if (other.headers.get('access-control-allow-origin') !== null) problems.push(`${c.what}: CORS granted to another origin`);
      if (other.headers.get('access-control-allow-credentials') !== null) problems.push(`${c.what}: credentials granted to another origin`);
    }
    expect(problems).toEqual([]);
  });

  it('a rate-limited answer (429) and a preflight carry them too', async () => {
    let limited: HttpAnswer | undefined;
    for (let i = 0; i < 60 && limited?.status !== 429; i++) {
      limited = await http(`${app.url}/auth/start`, { headers: { origin: FRONTEND } });
    }
    expect(limited!.status).toBe(429);
    expectSpecHeaders(limited!, '429');
    expect(limited!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited!.headers.get('access-control-allow-origin')).toBe(FRONTEND);

    const preflight = await http(`${app.url}/trpc/tracks.update`, {
      method: 'OPTIONS',
      headers: { origin: FRONTEND, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expectSpecHeaders(preflight, 'preflight');
    expect(preflight.headers.get('access-control-allow-origin')).toBe(FRONTEND);
  });

  it('gated /audio answers are never cacheable by shared caches', async () => {
    for (const headers of [{}, listener.bearer, supporter.bearer]) {
      const res = await http(`${app.url}/audio/${gatedTrack.fileId}`, { headers });
      expect(res.headers.get('cache-control')).toBe('private, no-store');
    }
  });
});

describe('CSRF', () => {
  const DISALLOWED = [
    'https://evil.example',
    'https://plyr.fm.evil.example',
    'http://plyr.fm',
    'https://plyr.fm:8443',
    'https://www.plyr.fm.evil.example',
    'https://evil.plyr-fm.pages.dev.evil.example',
    'https://a.b.plyr-fm.pages.dev',
    'null',
  ];
  const mutations = listProcedures().filter((p) => p.type === 'mutation');

  it.each(mutations.map((m) => [m.path] as const))('cookie-authenticated %s from a disallowed origin → 403, before anything runs', async (path) => {
    const victim = await seedMember(app.services, 'victim');
    const before = await app.services.db.query.developerTokens.findMany({ where: (t, { eq }) => eq(t.did, victim.did) });
    for (const origin of DISALLOWED) {
      const res = await http(`${app.url}/trpc/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, ...victim.cookie },
        body: JSON.stringify({ name: 'csrf', id: publicTrack.id, autoDownloadLiked: true }),
      });
      expect(res.status, `${path} from ${origin}`).toBe(403);
      expectSpecHeaders(res, `403 ${path}`);
    }
    // Nothing happened: the session still works (no logout), no token was minted.
    expect((await http(`${app.url}/trpc/auth.me`, { headers: victim.cookie })).status).toBe(200);
    expect(await app.services.db.query.developerTokens.findMany({ where: (t, { eq }) => eq(t.did, victim.did) })).toEqual(before);
  });

  it('the same request from the frontend, or with no Origin at all, is not refused as cross-site (control)', async () => {
    const user = await seedMember(app.services, 'same-site');
    const origins: Array<Record<string, string>> = [{ origin: FRONTEND }, { origin: 'https://preview-1.plyr-fm.pages.dev' }, {}];
    for (const headers of origins) {
      const res = await http(`${app.url}/trpc/auth.developerTokens.create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers, ...user.cookie },
        body: JSON.stringify({ name: 'ok' }),
      });
      expect(res.status, JSON.stringify(headers)).toBe(200);
    }
  });

  const likesOf = (member: Member) => app.services.db.query.likes.findMany({ where: (l, { eq }) => eq(l.did, member.did) });
  const likeWith = (member: Member, headers: Record<string, string>) =>
    http(`${app.url}/trpc/tracks.like`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...member.cookie },
      body: JSON.stringify({ id: publicTrack.id }),
    });

  it('a cookie-borne like with no Origin but Sec-Fetch-Site: cross-site → 403, and no like is stored', async () => {
    const victim = await seedMember(app.services, 'fetch-metadata-victim');
    const res = await likeWith(victim, { 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(403);
    expectSpecHeaders(res, '403 cross-site fetch metadata');
    expect(await likesOf(victim)).toEqual([]);
  });

  it.each([
    ['Sec-Fetch-Site: same-origin', { 'sec-fetch-site': 'same-origin' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
    ['Sec-Fetch-Site: none', { 'sec-fetch-site': 'none' }],
    ['neither Origin nor Sec-Fetch-Site', {}],
    ['an allowed Origin with Sec-Fetch-Site: cross-site (the Origin decides)', { origin: FRONTEND, 'sec-fetch-site': 'cross-site' }],
  ])('a cookie-borne like with %s is served', async (name, headers: Record<string, string>) => {
    const member = await seedMember(app.services, `fm-${name.toLowerCase().replace(/[^a-z]+/g, '-').slice(0, 40)}`);
    expect((await likeWith(member, headers)).status).toBe(200);
    expect(await likesOf(member)).toHaveLength(1);
  });

  it('a disallowed Origin is refused whatever Sec-Fetch-Site claims', async () => {
    const member = await seedMember(app.services, 'fetch-metadata-liar');
    expect((await likeWith(member, { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' })).status).toBe(403);
    expect(await likesOf(member)).toEqual([]);
  });

  it('a cross-site request with a bearer token and no cookie is not refused (no ambient credential)', async () => {
    const member = await seedMember(app.services, 'fetch-metadata-bearer');
    const token = await app.services.auth.developerTokens.create(member.did, { name: 'bearer' });
    const res = await http(`${app.url}/trpc/tracks.like`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site', authorization: `Bearer ${token.token}` },
      body: JSON.stringify({ id: publicTrack.id }),
    });
    expect(res.status).toBe(200);
  });

  it("a public track stays when its deletion is forged from another origin with the artist's cookie", async () => {
    const res = await http(`${app.url}/trpc/tracks.delete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example', ...artist.cookie },
      body: JSON.stringify({ id: publicTrack.id }),
    });
    expect(res.status).toBe(403);
    expect(await app.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, publicTrack.id) })).toBeDefined();
  });
});
