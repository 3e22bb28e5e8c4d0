import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/index.js';

describe('tRPC mount', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ RATE_LIMIT_ENABLED: 'false' });
  });
  afterAll(() => app.close());

  it('answers an invalid input with BAD_REQUEST and field errors', async () => {
    const res = await fetch(`${app.url}/trpc/auth.exchange`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ exchangeToken: 42, mode: 'sideways' }),
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.data.code).toBe('BAD_REQUEST');
    expect(Object.keys(body.error.data.zodError.fieldErrors)).toEqual(expect.arrayContaining(['exchangeToken', 'mode']));
  });

  it('answers an unknown procedure with 404', async () => {
    const res = await fetch(`${app.url}/trpc/tracks.nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.data.code).toBe('NOT_FOUND');
  });

  it('refuses a batch over the cap before running any of it', async () => {
    const paths = Array.from({ length: 21 }, () => 'auth.me').join(',');
    const res = await fetch(`${app.url}/trpc/${paths}?batch=1&input=${encodeURIComponent('{}')}`);
    expect(res.status).toBe(400);
    expect((await res.json()).error.data.code).toBe('BAD_REQUEST');
    const ok = await fetch(`${app.url}/trpc/${Array.from({ length: 20 }, () => 'auth.me').join(',')}?batch=1&input=${encodeURIComponent('{}')}`);
    expect(ok.status).toBe(401);
  });

  it('answers a body over 1 MB with 413 and malformed JSON with 400', async () => {
    const big = await fetch(`${app.url}/trpc/auth.exchange`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ exchangeToken: 'x'.repeat(1_100_000), mode: 'cookie' }),
    });
    expect(big.status).toBe(413);
    const malformed = await fetch(`${app.url}/trpc/auth.exchange`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"exchangeToken": ',
    });
    expect(malformed.status).toBe(400);
  });
});
