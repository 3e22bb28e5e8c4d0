import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '@plyr/core/auth';
import { createAppSession } from '@plyr/core/auth';
import { startTestApp, type TestApp } from '../support/index.js';
import { http, trpcCode, trpcMutation, trpcQuery } from '../reliability/support/http.js';
import { expireCredential, seedMember, seedTrack, type Member, type SeededTrack } from '../reliability/support/seed.js';

/**
 * Only a live credential signs a request in. Everything else (forged, truncated, extended, expired,
 * revoked, or the hash the database keeps) is treated as no credential: 401 where one is needed.
 */

let app: TestApp;
let member: Member;
let gated: SeededTrack;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_ENABLED: 'false' });
  member = await seedMember(app.services, 'holder');
  const artist = await seedMember(app.services, 'artist');
  gated = await seedTrack(app.services, artist, { gated: true });
});
afterAll(() => app?.close());

const asCookie = (value: string) => ({ cookie: `session_id=${encodeURIComponent(value)}` });
const asBearer = (value: string) => ({ authorization: `Bearer ${value}` });

/** The three doors a credential opens: a tRPC query, a tRPC mutation, and gated audio (401, not 402). */
async function expectSignedOut(headers: Record<string, string>, what: string): Promise<void> {
  const me = await trpcQuery(app.url, 'auth.me', undefined, headers);
  expect(me.status, `${what}: auth.me`).toBe(401);
  expect(trpcCode(me)).toBe('UNAUTHORIZED');
  const create = await trpcMutation(app.url, 'auth.developerTokens.create', { name: 'x' }, headers);
  expect(create.status, `${what}: developerTokens.create`).toBe(401);
  const audio = await http(`${app.url}/audio/${gated.fileId}`, { headers });
  expect(audio.status, `${what}: gated /audio`).toBe(401);
}

async function expectSignedIn(headers: Record<string, string>, did: string): Promise<void> {
  const me = await trpcQuery(app.url, 'auth.me', undefined, headers);
  expect(me.status).toBe(200);
  expect(me.json.result.data.did).toBe(did);
}

/** Variants of a real secret an attacker could try: cut, extended, altered, re-cased, padded. */
function tamperedVersions(secret: string): Array<[string, string]> {
  const last = secret.at(-1)!;
  return [
    ['truncated by one character', secret.slice(0, -1)],
    ['truncated to half', secret.slice(0, Math.floor(secret.length / 2))],
    ['only the prefix', secret.replace(/[^_]+$/, '')],
    ['extended by one character', `${secret}a`],
    ['last character changed', secret.slice(0, -1) + (last === 'a' ? 'b' : 'a')],
    ['upper-cased', secret.toUpperCase()],
    ['with a trailing NUL', `${secret}\u0000`],
    ['doubled', secret + secret],
    ['10,000 characters', secret.padEnd(10_000, 'x')],
  ];
}

describe('session cookies and tokens', () => {
  it('a live session works as the cookie and as a bearer token (control)', async () => {
    await expectSignedIn(member.cookie, member.did);
    await expectSignedIn(member.bearer, member.did);
  });

  it('forged secrets of the right shape → 401', async () => {
    for (const forged of [
      `plyr_session_${randomBytes(32).toString('base64url')}`,
      `plyr_dev_${randomBytes(32).toString('base64url')}`,
      randomBytes(32).toString('hex'),
      'plyr_session_',
      'null',
      'undefined',
      '',
    ]) {
      await expectSignedOut(asCookie(forged), `forged cookie ${forged}`);
      if (forged) await expectSignedOut(asBearer(forged), `forged bearer ${forged}`);
    }
  });

  it('a tampered copy of a live session → 401, as the cookie and as a bearer token', async () => {
    for (const [how, value] of tamperedVersions(member.token)) {
      await expectSignedOut(asCookie(value), `cookie ${how}`);
      if (!value.includes('\u0000')) await expectSignedOut(asBearer(value), `bearer ${how}`);
    }
    await expectSignedIn(member.cookie, member.did);
  });

  it('the hash the database stores for a session does not authenticate, in any spelling', async () => {
    const row = await app.services.db.query.appSessions.findFirst({ where: (t, { eq }) => eq(t.did, member.did) });
    const hash = row!.tokenHash;
    expect(hash).toBe(sha256Hex(member.token));
    expect(hash).not.toContain(member.token);
    for (const value of [hash, hash.toUpperCase(), `plyr_session_${hash}`, Buffer.from(hash, 'hex').toString('base64url')]) {
      await expectSignedOut(asCookie(value), `stored hash ${value} as cookie`);
      await expectSignedOut(asBearer(value), `stored hash ${value} as bearer`);
    }
  });

  it('an expired session → 401 (the lifetime is fixed, not sliding)', async () => {
    const expiring = await seedMember(app.services, 'expiring');
    await expectSignedIn(expiring.cookie, expiring.did);
    await expireCredential(app.services, 'session', expiring.token);
    await expectSignedOut(expiring.cookie, 'expired session cookie');
    await expectSignedOut(expiring.bearer, 'expired session bearer');
  });

  it('a cached session is judged by the clock: it stops working when its expiresAt passes, with no write', async () => {
    const shortLived = await seedMember(app.services, 'short-lived');
    await app.services.db.execute(`update app_sessions set expires_at = now() + interval '2 seconds' where token_hash = '${sha256Hex(shortLived.token)}'`);
    await expectSignedIn(shortLived.bearer, shortLived.did);
    // The row is cached now; nothing invalidates it, only the clock passing its expiry.
    await expect.poll(async () => (await trpcQuery(app.url, 'auth.me', undefined, shortLived.bearer)).status, { timeout: 10_000, interval: 100 }).toBe(401);
  });

  it('a session ended by logout → 401 at once, while another session of the same user still works', async () => {
    const leaving = await seedMember(app.services, 'leaving');
    const second = await createAppSession(app.services.db, leaving.did);
    expect((await trpcMutation(app.url, 'auth.logout', undefined, leaving.cookie)).status).toBe(200);
    await expectSignedOut(leaving.cookie, 'logged-out session');
    await expectSignedOut(leaving.bearer, 'logged-out session as bearer');
    await expectSignedIn(asBearer(second.token), leaving.did);
  });
});

describe('developer tokens', () => {
  async function createToken(owner: Member, name: string): Promise<{ id: string; token: string }> {
    const res = await trpcMutation(app.url, 'auth.developerTokens.create', { name, expiresInDays: 1 }, owner.cookie);
    expect(res.status).toBe(200);
    return res.json.result.data;
  }

  it('a live token works (control); tampered copies and its stored hash → 401', async () => {
    const { token } = await createToken(member, 'cli');
    await expectSignedIn(asBearer(token), member.did);
    for (const [how, value] of tamperedVersions(token)) {
      if (!value.includes('\u0000')) await expectSignedOut(asBearer(value), `developer token ${how}`);
    }
    const row = await app.services.db.query.developerTokens.findFirst({ where: (t, { eq }) => eq(t.tokenHash, sha256Hex(token)) });
    await expectSignedOut(asBearer(row!.tokenHash), 'developer token hash');
    await expectSignedOut(asBearer(`plyr_dev_${row!.tokenHash}`), 'developer token hash with prefix');
    // A developer token is a bearer credential, never a cookie.
    await expectSignedOut(asCookie(token), 'developer token as cookie');
  });

  it('a revoked token → 401 on the very next request', async () => {
    const { id, token } = await createToken(member, 'to-revoke');
    await expectSignedIn(asBearer(token), member.did);
    expect((await trpcMutation(app.url, 'auth.developerTokens.revoke', { id }, member.cookie)).status).toBe(200);
    await expectSignedOut(asBearer(token), 'revoked developer token');
  });

  it('an expired token → 401', async () => {
    const { token } = await createToken(member, 'to-expire');
    await expireCredential(app.services, 'developerToken', token);
    await expectSignedOut(asBearer(token), 'expired developer token');
  });

  it("another user cannot revoke someone's token", async () => {
    const { id, token } = await createToken(member, 'not-yours');
    const intruder = await seedMember(app.services, 'intruder');
    const res = await trpcMutation(app.url, 'auth.developerTokens.revoke', { id }, intruder.cookie);
    expect(res.status).toBe(404);
    await expectSignedIn(asBearer(token), member.did);
  });
});

describe('exchange tokens', () => {
  it('a forged or over-long exchange token → UNAUTHORIZED, in both modes', async () => {
    for (const token of [randomBytes(32).toString('base64url'), 'x'.repeat(256)]) {
      for (const mode of ['cookie', 'token']) {
        const res = await trpcMutation(app.url, 'auth.exchange', { exchangeToken: token, mode });
        expect(res.status).toBe(401);
        expect(res.headers.get('set-cookie')).toBeNull();
      }
    }
  });
});
