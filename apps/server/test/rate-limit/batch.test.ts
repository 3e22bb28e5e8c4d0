import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/index.js';
import { remaining, send } from './client.js';

const inputs = (n: number) => encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, {}]))));
const batchOf = (path: string, n: number) => `/trpc/${Array(n).fill(path).join(',')}?batch=1&input=${inputs(n)}`;

describe('tRPC batches and rate limits', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ RATE_LIMIT_DEFAULT: '10/minute', RATE_LIMIT_AUTH: '3/minute', RATE_LIMIT_UPLOAD: '4/minute' });
  });
  afterAll(() => app.close());

  it('a batch of N calls consumes N, and the call that crosses the limit refuses the whole batch', async () => {
    const from = '127.0.4.1';
    const four = await send(app.url, batchOf('tracks.list', 4), { from });
    expect(four.status).toBe(200);
    expect(four.body).toHaveLength(4);
    expect(remaining(four.headers)).toEqual({ default: 6 });

    expect(remaining((await send(app.url, batchOf('tracks.list', 5), { from })).headers)).toEqual({ default: 1 });

    const refused = await send(app.url, batchOf('tracks.list', 2), { from });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.body).toHaveLength(2);
    for (const item of refused.body) expect(item.error.data).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429, path: 'tracks.list' });
  });

  it('a batch of 10 calls costs 10 even when only one HTTP request is made', async () => {
    const from = '127.0.4.2';
    expect((await send(app.url, batchOf('tracks.list', 10), { from })).status).toBe(200);
    expect((await send(app.url, batchOf('tracks.list', 1), { from })).status).toBe(429);
  });

  it('each call is charged to its own group, and both policies are reported', async () => {
    const from = '127.0.4.3';
    const path = `/trpc/auth.exchange,tracks.createUpload,auth.exchange?batch=1`;
    const body = { 0: { exchangeToken: 'x', mode: 'cookie' }, 1: { filename: 'a.mp3', contentType: 'audio/mpeg', size: 1 }, 2: { exchangeToken: 'y', mode: 'token' } };
    const mixed = await send(app.url, path, { from, json: body });
    expect(mixed.status).not.toBe(429);
    expect(remaining(mixed.headers)).toEqual({ auth: 1, upload: 3 });
    expect(String(mixed.headers['ratelimit-policy'])).toMatch(/"auth"; q=3; w=60.*"upload"; q=4; w=60/);

    const again = await send(app.url, path, { from, json: body });
    expect(again.status).toBe(429);
    expect(remaining(again.headers)).toEqual({ auth: 0 });
    expect(again.body.map((item: any) => item.error.data.path)).toEqual(['auth.exchange', 'tracks.createUpload', 'auth.exchange']);
  });

  it('a batch over the cap is refused before anything runs, and costs one request, not its size', async () => {
    const from = '127.0.4.4';
    const over = await send(app.url, batchOf('tracks.list', 21), { from });
    expect(over.status).toBe(400);
    expect(over.body.error.data.code).toBe('BAD_REQUEST');
    expect(remaining(over.headers)).toEqual({ default: 9 });
  });

  it('a path segment before the procedure does not move a call to another group', async () => {
    const from = '127.0.4.5';
    // tRPC reads only the last segment, so this is auth.exchange, and must pay as such.
    const res = await send(app.url, '/trpc/tracks/auth.exchange', { from, json: { exchangeToken: 'x', mode: 'cookie' } });
    expect(res.status).toBe(401);
    expect(remaining(res.headers)).toEqual({ auth: 2 });
    const upper = await send(app.url, '/TRPC/auth.exchange', { from, json: { exchangeToken: 'x', mode: 'cookie' } });
    expect(remaining(upper.headers)).toEqual({ auth: 1 });
  });
});
