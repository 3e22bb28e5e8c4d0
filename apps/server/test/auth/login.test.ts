import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/index.js';
import { browserLogin, exchange, loginAs } from '@plyr/testing/atproto/login';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork, type TestAccount } from '@plyr/testing/atproto/network';
import { signInOnPds } from '@plyr/testing/atproto/oauth-login';
import { expireCredential } from '../reliability/support/seed.js';
import { parseSetCookie, trpc } from './http.js';

const FRONTEND_URL = 'http://localhost:5173';

let network: LocalAtprotoNetwork;
let app: TestApp;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  app = await startTestApp({ ...network.env, FRONTEND_URL, RATE_LIMIT_ENABLED: 'false' });
  [alice, bob] = await Promise.all([network.createAccount('alice'), network.createAccount('bob')]);
});

afterAll(async () => {
  await app?.close();
  await network?.close();
});

const me = (headers: Record<string, string> = {}) => trpc(app.url, 'auth.me', { headers });

describe('signing in through a real PDS', () => {
  it('lands on the frontend with an exchange token that becomes a cookie session', async () => {
    const landing = await browserLogin(app, { handle: alice.handle, password: alice.password });
    expect(`${landing.origin}${landing.pathname}`).toBe(`${FRONTEND_URL}/`);
    const exchangeToken = landing.searchParams.get('exchange_token');
    expect(exchangeToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const res = await exchange(app, exchangeToken!, 'cookie');
    expect(res.status).toBe(200);
    expect((await res.json()).result.data).toEqual({ did: alice.did, handle: 'alice.test' });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('session_id='))!;
    const { value } = parseSetCookie(cookie);

    const who = await me({ cookie: `session_id=${value}` });
    expect(who.status).toBe(200);
    expect(who.body.result.data).toEqual({ did: alice.did, handle: 'alice.test' });
  });

  it('sets the session cookie with exactly the SPEC.md attributes', async () => {
    const { setCookie } = await loginAs(app, alice.handle, alice.password);
    const { name, value, attributes } = parseSetCookie(setCookie!);
    expect(name).toBe('session_id');
    expect(value).toMatch(/^plyr_session_[A-Za-z0-9_-]{43}$/);
    expect(attributes.get('max-age')).toBe('1209600');
    expect(attributes.get('path')).toBe('/');
    expect(attributes.has('httponly')).toBe(true);
    expect(attributes.get('samesite')).toBe('Lax');
    expect(attributes.has('domain')).toBe(false);
    // FRONTEND_URL is http://localhost…, the one case without Secure.
    expect(attributes.has('secure')).toBe(false);
    // Express also writes Expires; it must agree with Max-Age.
    const expires = Date.parse(attributes.get('expires')!);
    expect(Math.abs(expires - (Date.now() + 1_209_600_000))).toBeLessThan(60_000);
    expect([...attributes.keys()].sort()).toEqual(['expires', 'httponly', 'max-age', 'path', 'samesite']);
  });

  it('answers UNAUTHORIZED without credentials, with a forged cookie, and with an expired one', async () => {
    const none = await me();
    expect(none.status).toBe(401);
    expect(none.body.error.data.code).toBe('UNAUTHORIZED');

    const forged = await me({ cookie: `session_id=plyr_session_${'x'.repeat(43)}` });
    expect(forged.status).toBe(401);
    expect((await me({ cookie: 'session_id=%%%' })).status).toBe(401);
    expect((await me({ authorization: 'Bearer nonsense' })).status).toBe(401);

    const user = await loginAs(app, bob.handle, bob.password);
    expect((await me(user.headers)).status).toBe(200);
    await expireCredential(app.services, 'session', user.sessionToken);
    const expired = await me(user.headers);
    expect(expired.status).toBe(401);
    expect(expired.body.error.data.code).toBe('UNAUTHORIZED');
  });
});

describe('logout', () => {
  it('clears the cookie with identical attributes, refuses the old cookie, and revokes the grant', async () => {
    const carol = await network.createAccount('carol');
    const user = await loginAs(app, carol.handle, carol.password);
    expect(await network.oauthGrants(carol.did)).toHaveLength(1);

    const out = await trpc(app.url, 'auth.logout', { mutation: true, headers: { ...user.headers, origin: FRONTEND_URL } });
    expect(out.status).toBe(200);
    const cleared = parseSetCookie(out.setCookies.find((c) => c.startsWith('session_id='))!);
    expect(cleared.value).toBe('');
    expect(Date.parse(cleared.attributes.get('expires')!)).toBeLessThanOrEqual(Date.now());
    const set = parseSetCookie(user.setCookie!);
    for (const attr of ['path', 'httponly', 'samesite', 'domain', 'secure']) {
      expect([attr, cleared.attributes.get(attr)]).toEqual([attr, set.attributes.get(attr)]);
    }

    expect((await me(user.headers)).status).toBe(401);
    // It was carol's only session: the grant is gone at her PDS too.
    expect(await network.oauthGrants(carol.did)).toEqual([]);
  });

  it('keeps the grant while another session of the account is alive', async () => {
    const dave = await network.createAccount('dave');
    const laptop = await loginAs(app, dave.handle, dave.password);
    const phone = await loginAs(app, dave.handle, dave.password, { mode: 'token' });
    await trpc(app.url, 'auth.logout', { mutation: true, headers: laptop.headers });
    expect((await me(laptop.headers)).status).toBe(401);
    expect((await me(phone.headers)).body.result.data.did).toBe(dave.did);
    expect(await network.oauthGrants(dave.did)).toHaveLength(1);
  });

  it('is refused with 403 from a foreign Origin when the cookie is sent (CSRF), and the session survives', async () => {
    const user = await loginAs(app, alice.handle, alice.password);
    const attack = await trpc(app.url, 'auth.logout', { mutation: true, headers: { ...user.headers, origin: 'https://evil.example' } });
    expect(attack.status).toBe(403);
    expect(attack.setCookies).toEqual([]);
    expect((await me(user.headers)).status).toBe(200);
  });
});

describe('the OAuth redirects', () => {
  it('sends a declined consent back to the frontend as auth_error=denied', async () => {
    const landing = await browserLogin(app, { handle: bob.handle, password: bob.password, decision: 'reject' });
    expect(landing.href).toBe(`${FRONTEND_URL}/?auth_error=denied`);
  });

  it('answers the callback with no-store, and a replayed or bare callback with auth_error, never a 500', async () => {
    const start = await fetch(`${app.url}/auth/start?handle=${alice.handle}`, { redirect: 'manual' });
    const callback = await signInOnPds({ authorizeUrl: start.headers.get('location')!, username: alice.handle, password: alice.password });
    const first = await fetch(callback, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('location')).toMatch(new RegExp(`^${FRONTEND_URL}/\\?exchange_token=`));

    const replay = await fetch(callback, { redirect: 'manual' });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('cache-control')).toBe('no-store');
    expect(replay.headers.get('location')).toBe(`${FRONTEND_URL}/?auth_error=expired`);

    for (const query of ['', '?state=unknown&code=x&iss=http://localhost', '?error=server_error']) {
      const res = await fetch(`${app.url}/auth/callback${query}`, { redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toMatch(new RegExp(`^${FRONTEND_URL}/\\?auth_error=(expired|failed)$`));
    }
  });

  it('redirects /auth/start to the account’s authorization server with 307', async () => {
    const res = await fetch(`${app.url}/auth/start?handle=alice.test`, { redirect: 'manual' });
    expect(res.status).toBe(307);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${network.pdsUrl}/oauth/authorize`);
    expect(location.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  });

  it('refuses /auth/start without a handle, with a malformed one, or one that resolves to no account: 400 with a message', async () => {
    for (const query of ['', '?handle=', '?handle=not%20a%20handle', '?handle=nobody.test', '?handle=a&handle=b']) {
      const res = await fetch(`${app.url}/auth/start${query}`, { redirect: 'manual' });
      expect([query, res.status]).toEqual([query, 400]);
      const body = await res.json();
      expect(body.error.code).toBe('BAD_REQUEST');
      expect(body.error.message.length).toBeGreaterThan(10);
    }
  });

  it('publishes the loopback client metadata, and no JWKS without keys', async () => {
    const meta = await fetch(`${app.url}/oauth-client-metadata.json`);
    expect(meta.status).toBe(200);
    const body = await meta.json();
    expect(body.client_id).toMatch(/^http:\/\/localhost\?/);
    expect(body.token_endpoint_auth_method).toBe('none');
    expect(body.redirect_uris).toEqual([`${app.url.replace('localhost', '127.0.0.1')}/auth/callback`]);
    expect(body.scope).toBe('atproto repo:fm.plyr.track repo:fm.plyr.like blob:audio/*');
    expect((await fetch(`${app.url}/.well-known/jwks.json`)).status).toBe(404);
  });
});
