import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionSecrets } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';

async function preflight(url: string, origin: string) {
  return fetch(`${url}/trpc/auth.logout`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
}

function expectAllowed(res: Response, origin: string) {
  expect(res.headers.get('access-control-allow-origin')).toBe(origin);
  expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  expect(res.headers.get('vary')).toMatch(/Origin/i);
}

function expectNoCors(res: Response) {
  for (const [name] of res.headers) expect(name.startsWith('access-control-'), name).toBe(false);
}

describe('CORS in production', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ APP_ENV: 'production', PUBLIC_URL: 'https://api.plyr.fm', FRONTEND_URL: 'https://plyr.fm', ...productionSecrets() });
  });
  afterAll(() => app.close());

  it.each(['https://plyr.fm', 'https://www.plyr.fm', 'https://feature-x.plyr-fm.pages.dev'])('allows %s with credentials', async (origin) => {
    const res = await fetch(`${app.url}/health`, { headers: { origin } });
    expectAllowed(res, origin);
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase();
    for (const h of ['x-support-required', 'retry-after', 'ratelimit', 'ratelimit-policy']) expect(exposed).toContain(h);
  });

  it('answers a preflight for POST /trpc from an allowed origin', async () => {
    const res = await preflight(app.url, 'https://plyr.fm');
    expect(res.status).toBe(204);
    expectAllowed(res, 'https://plyr.fm');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it.each([
    'https://plyr.fm.evil.com',
    'http://plyr.fm',
    'https://evilplyr.fm',
    'https://x.plyr-fm.pages.dev.evil.com',
    'https://a.b.plyr-fm.pages.dev',
    'null',
    'http://localhost:5173',
    'https://stg.plyr.fm',
  ])('gives %s no CORS headers, on requests and preflights', async (origin) => {
    expectNoCors(await fetch(`${app.url}/health`, { headers: { origin } }));
    expectNoCors(await preflight(app.url, origin));
  });
});

describe('CORS in staging and development', () => {
  let staging: TestApp;
  let dev: TestApp;
  beforeAll(async () => {
    [staging, dev] = await Promise.all([startTestApp({ APP_ENV: 'staging' }), startTestApp()]);
  });
  afterAll(async () => {
    await Promise.all([staging.close(), dev.close()]);
  });

  it('staging allows its own origin and its preview pattern only', async () => {
    expectAllowed(await fetch(`${staging.url}/health`, { headers: { origin: 'https://stg.plyr.fm' } }), 'https://stg.plyr.fm');
    expectAllowed(
      await fetch(`${staging.url}/health`, { headers: { origin: 'https://pr-12.plyr-fm-stg.pages.dev' } }),
      'https://pr-12.plyr-fm-stg.pages.dev',
    );
    expectNoCors(await fetch(`${staging.url}/health`, { headers: { origin: 'https://plyr.fm' } }));
    expectNoCors(await fetch(`${staging.url}/health`, { headers: { origin: 'https://pr-12.plyr-fm.pages.dev' } }));
  });

  it('development allows the local frontend and no preview pattern', async () => {
    expectAllowed(await fetch(`${dev.url}/health`, { headers: { origin: 'http://localhost:5173' } }), 'http://localhost:5173');
    expectNoCors(await fetch(`${dev.url}/health`, { headers: { origin: 'https://x.plyr-fm.pages.dev' } }));
    expectNoCors(await fetch(`${dev.url}/health`, { headers: { origin: 'http://localhost:5174' } }));
  });
});
