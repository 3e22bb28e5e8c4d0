import { createHash } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/index.js';
import { browserLogin, exchange, loginAs, type SignedInUser } from '@plyr/testing/atproto/login';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork, type TestAccount } from '@plyr/testing/atproto/network';
import { trpc } from './http.js';

let network: LocalAtprotoNetwork;
let app: TestApp;
let sql: postgres.Sql;
let alice: TestAccount;
let bob: TestAccount;
let aliceSession: SignedInUser;
/** Every secret the API handed out in this file: none may appear in the database. */
const issued: string[] = [];

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  app = await startTestApp({ ...network.env, RATE_LIMIT_ENABLED: 'false' });
  sql = postgres(app.ctx.env.databaseUrl!, { max: 2, onnotice: () => {} });
  [alice, bob] = await Promise.all([network.createAccount('alice'), network.createAccount('bob')]);
  aliceSession = await loginAs(app, alice.handle, alice.password);
  issued.push(aliceSession.sessionToken);
});

afterAll(async () => {
  await sql?.end();
  await app?.close();
  await network?.close();
});

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
const me = (headers: Record<string, string>) => trpc(app.url, 'auth.me', { headers });

async function freshExchangeToken(account: TestAccount): Promise<string> {
  const landing = await browserLogin(app, { handle: account.handle, password: account.password });
  const token = landing.searchParams.get('exchange_token')!;
  issued.push(token);
  return token;
}

describe('auth.exchange', () => {
  it('refuses a replayed exchange token', async () => {
    const token = await freshExchangeToken(bob);
    expect((await exchange(app, token, 'cookie')).status).toBe(200);
    const replay = await exchange(app, token, 'cookie');
    expect(replay.status).toBe(401);
    expect((await replay.json()).error.data.code).toBe('UNAUTHORIZED');
    expect(replay.headers.getSetCookie()).toEqual([]);
  });

  it('refuses an exchange token older than 60 seconds', async () => {
    const token = await freshExchangeToken(bob);
    await sql`UPDATE exchange_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = ${sha256(token)}`;
    const res = await exchange(app, token, 'token');
    expect(res.status).toBe(401);
    expect((await res.json()).error.data.code).toBe('UNAUTHORIZED');
  });

  it('lets exactly one of two concurrent exchanges of one token succeed', async () => {
    for (let round = 0; round < 3; round++) {
      const token = await freshExchangeToken(bob);
      const statuses = (await Promise.all([exchange(app, token, 'cookie'), exchange(app, token, 'token')])).map((r) => r.status);
      expect(statuses.sort()).toEqual([200, 401]);
    }
  });

  it('in token mode returns a bearer token for SDK clients, and sets no cookie', async () => {
    const res = await exchange(app, await freshExchangeToken(bob), 'token');
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
    const data = (await res.json()).result.data;
    expect(data).toEqual({ did: bob.did, handle: 'bob.test', token: expect.stringMatching(/^plyr_session_/) });
    issued.push(data.token);
    const who = await me({ authorization: `Bearer ${data.token}` });
    expect(who.body.result.data).toEqual({ did: bob.did, handle: 'bob.test' });
    await trpc(app.url, 'auth.logout', { mutation: true, headers: { authorization: `Bearer ${data.token}` } });
    expect((await me({ authorization: `Bearer ${data.token}` })).status).toBe(401);
  });

  it('answers a malformed exchange with BAD_REQUEST', async () => {
    const res = await trpc(app.url, 'auth.exchange', { mutation: true, input: { exchangeToken: 'x', mode: 'jar' } });
    expect(res.status).toBe(400);
    expect(res.body.error.data.code).toBe('BAD_REQUEST');
  });
});

describe('developer tokens', () => {
  it('create → use as bearer → list without the secret → revoke → 401 at once', async () => {
    const created = await trpc(app.url, 'auth.developerTokens.create', {
      mutation: true,
      input: { name: 'my laptop CLI' },
      headers: aliceSession.headers,
    });
    expect(created.status).toBe(200);
    const { id, token, expiresAt } = created.body.result.data;
    expect(Object.keys(created.body.result.data).sort()).toEqual(['expiresAt', 'id', 'token']);
    expect(token).toMatch(/^plyr_dev_[A-Za-z0-9_-]{43}$/);
    issued.push(token);
    const days = (Date.parse(expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);

    const bearer = { authorization: `Bearer ${token}` };
    expect((await me(bearer)).body.result.data).toEqual({ did: alice.did, handle: 'alice.test' });

    const list = await trpc(app.url, 'auth.developerTokens.list', { headers: bearer });
    expect(list.status).toBe(200);
    expect(list.body.result.data.tokens).toEqual([{ id, name: 'my laptop CLI', createdAt: expect.any(String), expiresAt }]);
    expect(JSON.stringify(list.body)).not.toContain(token.slice('plyr_dev_'.length, 20));

    const revoked = await trpc(app.url, 'auth.developerTokens.revoke', { mutation: true, input: { id }, headers: aliceSession.headers });
    expect(revoked.status).toBe(200);
    const after = await me(bearer);
    expect(after.status).toBe(401);
    expect(after.body.error.data.code).toBe('UNAUTHORIZED');
    expect((await trpc(app.url, 'auth.developerTokens.list', { headers: aliceSession.headers })).body.result.data.tokens).toEqual([]);
  });

  it('refuses a lifetime over 365 days with BAD_REQUEST, and accepts 365', async () => {
    const tooLong = await trpc(app.url, 'auth.developerTokens.create', {
      mutation: true,
      input: { name: 'forever', expiresInDays: 999 },
      headers: aliceSession.headers,
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.data.code).toBe('BAD_REQUEST');
    expect(tooLong.body.error.data.zodError.fieldErrors.expiresInDays).toBeTruthy();

    const year = await trpc(app.url, 'auth.developerTokens.create', {
      mutation: true,
      input: { name: 'a year', expiresInDays: 365 },
      headers: aliceSession.headers,
    });
    expect(year.status).toBe(200);
    issued.push(year.body.result.data.token);
    expect((Date.parse(year.body.result.data.expiresAt) - Date.now()) / 86_400_000).toBeGreaterThan(364.9);
  });

  it('cannot be minted with a developer token, nor without signing in', async () => {
    const created = await trpc(app.url, 'auth.developerTokens.create', { mutation: true, input: { name: 'seed' }, headers: aliceSession.headers });
    issued.push(created.body.result.data.token);
    const bearer = { authorization: `Bearer ${created.body.result.data.token}` };
    const minted = await trpc(app.url, 'auth.developerTokens.create', { mutation: true, input: { name: 'child' }, headers: bearer });
    expect(minted.status).toBe(403);
    expect(minted.body.error.data.code).toBe('FORBIDDEN');
    const anonymous = await trpc(app.url, 'auth.developerTokens.create', { mutation: true, input: { name: 'anon' } });
    expect(anonymous.status).toBe(401);
  });

  it('cannot be revoked by another account', async () => {
    const created = await trpc(app.url, 'auth.developerTokens.create', { mutation: true, input: { name: 'mine' }, headers: aliceSession.headers });
    issued.push(created.body.result.data.token);
    const bobSession = await loginAs(app, bob.handle, bob.password);
    issued.push(bobSession.sessionToken);
    const res = await trpc(app.url, 'auth.developerTokens.revoke', {
      mutation: true,
      input: { id: created.body.result.data.id },
      headers: bobSession.headers,
    });
    expect(res.status).toBe(404);
    expect((await me({ authorization: `Bearer ${created.body.result.data.token}` })).status).toBe(200);
    const malformed = await trpc(app.url, 'auth.developerTokens.revoke', { mutation: true, input: { id: 'nope' }, headers: bobSession.headers });
    expect(malformed.status).toBe(400);
  });
});

describe('stored credentials', () => {
  it('the database holds no raw session id, exchange token or developer token', async () => {
    expect(issued.length).toBeGreaterThan(8);
    const tables = ['app_sessions', 'exchange_tokens', 'developer_tokens', 'oauth_sessions', 'oauth_states', 'users'];
    const dump = (await Promise.all(tables.map((t) => sql.unsafe(`SELECT * FROM ${t}`)))).map((rows) => JSON.stringify(rows)).join('\n');
    for (const secret of issued) {
      const core = secret.replace(/^plyr_(session|dev)_/, '');
      expect(dump).not.toContain(core);
    }
    // What is there instead: the hashes.
    expect(dump).toContain(sha256(aliceSession.sessionToken));
  });

  it('the logs hold none of them either', () => {
    const logs = app.logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of issued) expect(logs).not.toContain(secret.replace(/^plyr_(session|dev)_/, ''));
  });
});
