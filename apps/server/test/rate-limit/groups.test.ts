import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/index.js';
import { remaining, send, statuses, type Answer } from './client.js';

const LIMITS = { RATE_LIMIT_DEFAULT: '5/minute', RATE_LIMIT_AUTH: '3/minute', RATE_LIMIT_UPLOAD: '4/minute' };

// Each test is a different client (its own loopback source address), so counters never mix.
const listTracks = (app: TestApp, from: string, headers?: Record<string, string>) =>
  send(app.url, `/trpc/tracks.list?input=${encodeURIComponent('{}')}`, { from, headers });
const exchange = (app: TestApp, from: string) =>
  send(app.url, '/trpc/auth.exchange', { from, json: { exchangeToken: 'not-a-token', mode: 'cookie' } });
const createUpload = (app: TestApp, from: string) =>
  send(app.url, '/trpc/tracks.createUpload', { from, json: { filename: 'a.mp3', contentType: 'audio/mpeg', size: 1000 } });

function expectRefused(res: Answer, group: string, limit: number) {
  expect(res.status).toBe(429);
  expect(res.headers.ratelimit).toMatch(new RegExp(`^"${group}"; r=0; t=\\d+$`));
  expect(res.headers['ratelimit-policy']).toMatch(new RegExp(`^"${group}"; q=${limit}; w=60; pk=:[A-Za-z0-9+/=]+:$`));
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

function expectTrpcTooManyRequests(res: Answer, path: string) {
  expect(res.body.error).toMatchObject({
    code: -32029,
    message: expect.stringContaining('limit'),
    data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429, path },
  });
}

describe('rate limit groups', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(LIMITS);
  });
  afterAll(() => app.close());

  it('default: the 6th call in a minute is refused with 429, RateLimit headers, Retry-After and a tRPC error', async () => {
    const first = await listTracks(app, '127.0.1.1');
    expect(first.status).toBe(200);
    expect(remaining(first.headers)).toEqual({ default: 4 });
    expect(await statuses(4, () => listTracks(app, '127.0.1.1'))).toEqual([200, 200, 200, 200]);

    const refused = await listTracks(app, '127.0.1.1');
    expectRefused(refused, 'default', 5);
    expectTrpcTooManyRequests(refused, 'tracks.list');
    expect(refused.body.error.message).toContain('5/minute');
  });

  it('the 429 has the same shape as any tRPC error, so the SDK reads it like one', async () => {
    const other = await exchange(app, '127.0.1.2');
    expect(other.status).toBe(401);
    await statuses(2, () => exchange(app, '127.0.1.2'));
    const refused = await exchange(app, '127.0.1.2');
    expect(refused.status).toBe(429);
    expect(Object.keys(refused.body)).toEqual(Object.keys(other.body));
    expect(Object.keys(refused.body.error).sort()).toEqual(Object.keys(other.body.error).sort());
    expect(Object.keys(refused.body.error.data).sort()).toEqual(Object.keys(other.body.error.data).sort());
  });

  it('auth: /auth/* and auth.exchange share the auth limit, and exhausting it leaves tracks.list alone', async () => {
    const from = '127.0.1.3';
    expect((await send(app.url, '/auth/start', { from })).status).toBe(400);
    expect((await exchange(app, from)).status).toBe(401);
    expect((await send(app.url, '/auth/start?handle=', { from })).status).toBe(400);

    const raw = await send(app.url, '/auth/start', { from });
    expectRefused(raw, 'auth', 3);
    expect(raw.body).toEqual({ error: { code: 'TOO_MANY_REQUESTS', message: expect.stringContaining('3/minute') } });
    const trpc = await exchange(app, from);
    expectRefused(trpc, 'auth', 3);
    expectTrpcTooManyRequests(trpc, 'auth.exchange');

    const list = await listTracks(app, from);
    expect(list.status).toBe(200);
    expect(remaining(list.headers)).toEqual({ default: 4 });
  });

  it('upload: tracks.createUpload is refused on the 5th call while default and auth still answer', async () => {
    const from = '127.0.1.4';
    expect(await statuses(4, () => createUpload(app, from))).toEqual([401, 401, 401, 401]);
    const refused = await createUpload(app, from);
    expectRefused(refused, 'upload', 4);
    expectTrpcTooManyRequests(refused, 'tracks.createUpload');

    expect((await listTracks(app, from)).status).toBe(200);
    expect((await exchange(app, from)).status).toBe(401);
  });

  it('auth.developerTokens.create and tracks.finalizeUpload are charged to auth and upload', async () => {
    const from = '127.0.1.5';
    const token = await send(app.url, '/trpc/auth.developerTokens.create', { from, json: { name: 'cli' } });
    expect(remaining(token.headers)).toEqual({ auth: 2 });
    const finalize = await send(app.url, '/trpc/tracks.finalizeUpload', { from, json: { uploadId: 'x', title: 't' } });
    expect(remaining(finalize.headers)).toEqual({ upload: 3 });
  });

  it('a 429 keeps the CORS headers, so a browser app can read it', async () => {
    const from = '127.0.1.6';
    const origin = 'http://localhost:5173';
    await statuses(5, () => listTracks(app, from, { origin }));
    const refused = await listTracks(app, from, { origin });
    expect(refused.status).toBe(429);
    expect(refused.headers['access-control-allow-origin']).toBe(origin);
    expect(refused.headers['access-control-allow-credentials']).toBe('true');
    const exposed = String(refused.headers['access-control-expose-headers']).toLowerCase();
    for (const h of ['ratelimit', 'ratelimit-policy', 'retry-after']) expect(exposed.split(/,\s*/)).toContain(h);
  });

  it('never limits /health and /ready, and counts unknown routes as default', async () => {
    const from = '127.0.1.7';
    await statuses(5, () => send(app.url, '/no-such-route', { from }));
    expect((await send(app.url, '/no-such-route', { from })).status).toBe(429);
    expect(await statuses(10, () => send(app.url, '/health', { from }))).toEqual(Array(10).fill(200));
    expect((await send(app.url, '/ready', { from })).status).toBe(200);
  });
});

describe('RATE_LIMIT_ENABLED=false', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ ...LIMITS, RATE_LIMIT_ENABLED: 'false' });
  });
  afterAll(() => app.close());

  it('never refuses and sends no rate-limit headers', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => exchange(app, '127.0.1.8')));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(401));
    for (const a of answers) expect(a.headers.ratelimit).toBeUndefined();
  });
});
