import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionSecrets } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';

const BASE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-xss-protection': '1; mode=block',
  'referrer-policy': 'strict-origin-when-cross-origin',
};

function expectSecurityHeaders(res: Response, production: boolean) {
  for (const [name, value] of Object.entries(BASE_HEADERS)) expect(res.headers.get(name), name).toBe(value);
  if (production) expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  else expect(res.headers.get('strict-transport-security')).toBeNull();
  // helmet's default `same-origin` would stop <audio> on another site from loading /audio.
  expect(res.headers.get('cross-origin-resource-policy')).not.toBe('same-origin');
  expect(res.headers.get('cross-origin-embedder-policy')).toBeNull();
  expect(res.headers.get('x-powered-by')).toBeNull();
}

const kinds = (url: string) => ({
  ok: () => fetch(`${url}/health`),
  notFound: () => fetch(`${url}/no/such/route`),
  badRequest: () => fetch(`${url}/auth/start`),
  trpcError: () => fetch(`${url}/trpc/no.such.procedure`),
});

describe('security headers in development', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it.each(['ok', 'notFound', 'badRequest', 'trpcError'] as const)('%s response carries every header, no HSTS', async (kind) => {
    const res = await kinds(app.url)[kind]();
    expect(res.status).toBe({ ok: 200, notFound: 404, badRequest: 400, trpcError: 404 }[kind]);
    expectSecurityHeaders(res, false);
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const echoed = await fetch(`${app.url}/health`, { headers: { 'x-request-id': 'abc-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await fetch(`${app.url}/health`, { headers: { 'x-request-id': 'a'.repeat(500) } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('security headers in production', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ APP_ENV: 'production', PUBLIC_URL: 'https://api.plyr.fm', FRONTEND_URL: 'https://plyr.fm', ...productionSecrets() });
  });
  afterAll(() => app.close());

  it.each(['ok', 'notFound', 'badRequest', 'trpcError'] as const)('%s response carries HSTS too', async (kind) => {
    expectSecurityHeaders(await kinds(app.url)[kind](), true);
  });
});
