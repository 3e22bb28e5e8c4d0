import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect } from 'vitest';
import { createPlyrClient } from '../src/index.js';
import { sdkTest } from './support/browser.js';

declare global {
  interface Window {
    plyr: typeof import('../src/index.js');
  }
}

/**
 * What reaches the API in each mode. A small real HTTP server stands in for the API and records
 * every request it receives (cookies and Authorization as they arrive on the wire); it answers tRPC
 * batches with a user and `/audio` with 402, with the CORS headers the real API sends.
 */

interface Received {
  method: string;
  path: string;
  cookie: string | undefined;
  authorization: string | undefined;
  app: string | undefined;
}

const user = { did: 'did:plc:recorded', handle: 'recorded.test' };

function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  return origin
    ? {
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET, POST, HEAD',
        'access-control-allow-headers': 'authorization, content-type, x-app',
        'access-control-expose-headers': 'x-support-required',
        vary: 'Origin',
      }
    : {};
}

/** The recording stand-in API, for the file; `received` is what reached it during the current test. */
const credentialsTest = sdkTest
  // eslint-disable-next-line no-empty-pattern
  .extend('recorder', { scope: 'file' }, async ({}, { onCleanup }) => {
    const received: Received[] = [];
    const server = createServer((req, res) => {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, corsHeaders(req)).end();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      received.push({
        method: req.method ?? '',
        path: url.pathname,
        cookie: req.headers.cookie,
        authorization: req.headers.authorization,
        app: req.headers['x-app'] as string | undefined,
      });
      req.resume();
      if (url.pathname.startsWith('/audio/')) {
        res.writeHead(402, { ...corsHeaders(req), 'x-support-required': 'true' }).end();
        return;
      }
      const calls = url.pathname.replace('/trpc/', '').split(',');
      res
        .writeHead(200, { ...corsHeaders(req), 'content-type': 'application/json' })
        .end(JSON.stringify(calls.map(() => ({ result: { data: user } }))));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { apiUrl: `http://localhost:${(server.address() as AddressInfo).port}`, received };
  })
  .extend('received', async ({ recorder }) => {
    recorder.received.length = 0;
    return recorder.received;
  })
  .extend('apiUrl', { scope: 'file' }, async ({ recorder }) => recorder.apiUrl)
  // The SDK page, whose browser holds the session cookie the API would have set on its own host
  // (cookies are per host, not per port).
  .extend('page', { scope: 'file' }, async ({ sdk }) => {
    await sdk.page.context().addCookies([
      { name: 'session_id', value: 'browser-session', domain: 'localhost', path: '/', httpOnly: true, sameSite: 'Lax' },
    ]);
    return sdk.page;
  });

describe('in Node', () => {
  /** Node's fetch keeps no cookie jar, so what matters is what the SDK asks of fetch and what it adds itself. */
  function recordingFetch(modes: RequestCredentials[]) {
    return (url: string, init?: RequestInit) => {
      modes.push(init?.credentials ?? 'same-origin');
      return fetch(url, init);
    };
  }

  credentialsTest('token mode: Authorization: Bearer, credentials omitted, the app headers kept, on procedures and /audio alike', async ({ apiUrl, received }) => {
    const modes: RequestCredentials[] = [];
    const client = createPlyrClient({ baseUrl: apiUrl, token: 'plyr_dev_abc', headers: { 'x-app': 'demo' }, fetch: recordingFetch(modes) });
    await expect(client.auth.me.query()).resolves.toEqual(user);
    await expect(client.preflightAudio('f'.repeat(32))).resolves.toBe('support');
    expect(modes).toEqual(['omit', 'omit']);
    expect(received.map((r) => [r.path, r.authorization, r.cookie, r.app])).toEqual([
      ['/trpc/auth.me', 'Bearer plyr_dev_abc', undefined, 'demo'],
      [`/audio/${'f'.repeat(32)}`, 'Bearer plyr_dev_abc', undefined, 'demo'],
    ]);
  });

  credentialsTest('browser mode: credentials included, no Authorization; headers may be computed per request', async ({ apiUrl, received }) => {
    const modes: RequestCredentials[] = [];
    let n = 0;
    const client = createPlyrClient({ baseUrl: `${apiUrl}/`, headers: () => ({ 'x-app': `call-${++n}` }), fetch: recordingFetch(modes) });
    await client.auth.me.query();
    await client.preflightAudio('a'.repeat(32));
    expect(modes).toEqual(['include', 'include']);
    expect(received.map((r) => [r.path, r.authorization, r.app])).toEqual([
      ['/trpc/auth.me', undefined, 'call-1'],
      [`/audio/${'a'.repeat(32)}`, undefined, 'call-2'],
    ]);
  });

  credentialsTest('refuses a base URL that is not absolute http(s), an empty token and a non-positive timeout', ({ apiUrl }) => {
    expect(() => createPlyrClient({ baseUrl: 'api.plyr.fm' })).toThrow(/absolute URL/);
    expect(() => createPlyrClient({ baseUrl: 'ftp://api.plyr.fm' })).toThrow(/http\(s\)/);
    expect(() => createPlyrClient({ baseUrl: apiUrl, token: ' ' })).toThrow(/token is empty/);
    expect(() => createPlyrClient({ baseUrl: apiUrl, timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  credentialsTest('gives up on an API call after timeoutMs', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const client = createPlyrClient({ baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, token: 't', timeoutMs: 300 });
      const started = Date.now();
      await expect(client.auth.me.query()).rejects.toThrow(/abort|timeout/i);
      expect(Date.now() - started).toBeLessThan(5_000);
      await expect(client.preflightAudio('b'.repeat(32))).resolves.toBe('unavailable');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('in Chromium, from another origin of the same site (as plyr.fm calls api.plyr.fm)', () => {
  credentialsTest('browser mode sends the session cookie and no Authorization', async ({ apiUrl, received, page }) => {
    const result = await page.evaluate(async (baseUrl) => {
      const client = window.plyr.createPlyrClient({ baseUrl });
      return { me: await client.auth.me.query(), audio: await client.preflightAudio('c'.repeat(32)) };
    }, apiUrl);
    expect(result).toEqual({ me: user, audio: 'support' });
    expect(received.map((r) => [r.method, r.cookie, r.authorization])).toEqual([
      ['GET', 'session_id=browser-session', undefined],
      ['HEAD', 'session_id=browser-session', undefined],
    ]);
  });

  credentialsTest('token mode sends the bearer token and never the cookie, even though the browser holds one', async ({ apiUrl, received, page }) => {
    const result = await page.evaluate(async (baseUrl) => {
      const client = window.plyr.createPlyrClient({ baseUrl, token: 'plyr_dev_browser' });
      await client.auth.logout.mutate();
      return { me: await client.auth.me.query(), audio: await client.preflightAudio('d'.repeat(32)) };
    }, apiUrl);
    expect(result).toEqual({ me: user, audio: 'support' });
    expect(received.map((r) => [r.method, r.cookie, r.authorization])).toEqual([
      ['POST', undefined, 'Bearer plyr_dev_browser'],
      ['GET', undefined, 'Bearer plyr_dev_browser'],
      ['HEAD', undefined, 'Bearer plyr_dev_browser'],
    ]);
  });
});
