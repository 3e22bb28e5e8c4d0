import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeOAuthClient } from '@atproto/oauth-client-node';
import { createDb, type DbHandle } from '@plyr/db';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork, type TestAccount } from '@plyr/testing/atproto/network';
import { signInOnPds } from '@plyr/testing/atproto/oauth-login';
import { createTestDatabase } from '@plyr/testing';
import {
  AtprotoSessionUnavailableError,
  createAuthService,
  createOAuthClient,
  LoginCallbackError,
  LoginStartError,
  OAUTH_SCOPE,
  PostgresSessionStore,
  type AuthService,
} from '../../src/auth/index.js';

const PUBLIC_URL = 'http://localhost:3999';
const key = randomBytes(32);
const logger = pino({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() }));

let network: LocalAtprotoNetwork;
let database: { url: string; drop: () => Promise<void> };
let db: DbHandle;
const instanceDatabases: DbHandle[] = [];
let alice: TestAccount;
let bob: TestAccount;

/**
 * One API instance: its own OAuth client (in-memory caches) and database pool with its own lock
 * connection, on the shared database. No Redis: the refresh lock must not need it.
 */
async function instance(): Promise<{ oauth: NodeOAuthClient; auth: AuthService }> {
  const own = await createDb({ url: database.url, max: 4, runMigrations: false });
  instanceDatabases.push(own);
  const config = {
    appEnv: 'development' as const,
    publicUrl: PUBLIC_URL,
    plcUrl: network.plcUrl,
    handleResolver: network.pdsUrl,
    sessionEncryptionKey: key,
    oauthPrivateKeys: null,
  };
  const oauth = await createOAuthClient({ config, db: own.db, locks: own.locks });
  return { oauth, auth: createAuthService({ db: own.db, oauth, logger }) };
}

async function signIn(auth: AuthService, account: TestAccount) {
  const authorizeUrl = await auth.startLogin(account.handle);
  const callback = await signInOnPds({ authorizeUrl: authorizeUrl.href, username: account.handle, password: account.password });
  return auth.completeLogin(callback.searchParams);
}

function likeRecord() {
  return { $type: 'fm.plyr.like', subject: { uri: 'at://did:plc:x/fm.plyr.track/1', cid: 'bafyreib' }, createdAt: new Date().toISOString() };
}

beforeAll(async () => {
  [network, database] = await Promise.all([startLocalAtprotoNetwork(), createTestDatabase()]);
  db = await createDb({ url: database.url });
  [alice, bob] = await Promise.all([network.createAccount('alice'), network.createAccount('bob')]);
});

afterAll(async () => {
  for (const own of instanceDatabases) await own.close();
  await network?.close();
  await db?.close();
  await database?.drop();
});

describe('sign-in against a local PDS', () => {
  it('drives the PDS sign-in page to the loopback callback with code and state', async () => {
    const { auth } = await instance();
    const authorizeUrl = await auth.startLogin('@Alice.test');
    expect(authorizeUrl.origin).toBe(network.pdsUrl);
    expect(authorizeUrl.pathname).toBe('/oauth/authorize');
    const clientId = new URL(authorizeUrl.searchParams.get('client_id')!);
    expect(clientId.origin).toBe('http://localhost');
    expect(clientId.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:3999/auth/callback');
    expect(clientId.searchParams.get('scope')).toBe(OAUTH_SCOPE);

    const callback = await signInOnPds({ authorizeUrl: authorizeUrl.href, username: alice.handle, password: alice.password });
    expect(`${callback.origin}${callback.pathname}`).toBe('http://127.0.0.1:3999/auth/callback');
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('state')).toBeTruthy();
    expect(callback.searchParams.get('iss')).toBe(network.pdsUrl);

    const done = await auth.completeLogin(callback.searchParams);
    expect(done).toMatchObject({ did: alice.did, handle: 'alice.test' });
    expect(done.exchangeToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The OAuth tokens are in the database, sealed.
    const rows = await db.sql`SELECT value FROM oauth_sessions WHERE did = ${alice.did}`;
    expect(rows).toHaveLength(1);
    const stored = await new PostgresSessionStore(db.db, key).get(alice.did);
    expect(stored?.tokenSet.access_token).toBeTruthy();
    expect(rows[0]!.value).not.toContain(stored!.tokenSet.access_token);
    expect(rows[0]!.value).not.toContain(stored!.tokenSet.refresh_token!);

    // Replaying the callback URL is refused as expired (the state was consumed).
    await expect(auth.completeLogin(callback.searchParams)).rejects.toMatchObject({ reason: 'expired' });
  });

  it('reports a declined consent as denied', async () => {
    const { auth } = await instance();
    const authorizeUrl = await auth.startLogin(bob.handle);
    const callback = await signInOnPds({ authorizeUrl: authorizeUrl.href, username: bob.handle, password: bob.password, decision: 'reject' });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const err = await auth.completeLogin(callback.searchParams).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoginCallbackError);
    expect((err as LoginCallbackError).reason).toBe('denied');
  });

  it('tells malformed from unresolvable handles', async () => {
    const { auth } = await instance();
    await expect(auth.startLogin('not a handle')).rejects.toMatchObject({ name: 'LoginStartError', reason: 'malformed' });
    await expect(auth.startLogin('nobody.test')).rejects.toMatchObject({ reason: 'unresolvable' });
    await expect(auth.startLogin('')).rejects.toBeInstanceOf(LoginStartError);
  });

  it('writes plyr records with the granted scopes, and nothing else', async () => {
    const { auth } = await instance();
    await signIn(auth, alice);
    const agent = await auth.getAgent(alice.did);
    const like = await agent.com.atproto.repo.createRecord({ repo: alice.did, collection: 'fm.plyr.like', record: likeRecord() });
    expect(like.data.uri).toContain(`${alice.did}/fm.plyr.like/`);
    await expect(
      agent.com.atproto.repo.createRecord({
        repo: alice.did,
        collection: 'app.bsky.feed.post',
        record: { $type: 'app.bsky.feed.post', text: 'hi', createdAt: new Date().toISOString() },
      }),
    ).rejects.toThrow(/scope/i);
    const audio = await agent.com.atproto.repo.uploadBlob(new Uint8Array([0xff, 0xfb, 0x90, 0x00]), { encoding: 'audio/mpeg' });
    expect(audio.data.blob.mimeType).toBe('audio/mpeg');
    await expect(agent.com.atproto.repo.uploadBlob(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), { encoding: 'image/png' })).rejects.toThrow(/scope/i);
  });
});

describe('token refresh', () => {
  it('refreshes once for 10 concurrent requests on two instances without Redis (as while it is down), and all succeed', async () => {
    const [one, two] = await Promise.all([instance(), instance()]);
    await signIn(one.auth, bob);
    // Make the stored access token expired, as it would be an hour later.
    const store = new PostgresSessionStore(db.db, key);
    const saved = (await store.get(bob.did))!;
    await store.set(bob.did, { ...saved, tokenSet: { ...saved.tokenSet, expires_at: new Date(Date.now() - 60_000).toISOString() } });
    const refreshesBefore = network.tokenEvents.filter((e) => e.kind === 'refreshed' && e.did === bob.did).length;

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, async (_, i) => {
        const agent = await (i % 2 ? two : one).auth.getAgent(bob.did);
        return agent.com.atproto.repo.createRecord({ repo: bob.did, collection: 'fm.plyr.like', record: likeRecord() });
      }),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const refreshes = network.tokenEvents.filter((e) => e.kind === 'refreshed' && e.did === bob.did).length - refreshesBefore;
    expect(refreshes).toBe(1);
    const after = (await store.get(bob.did))!;
    expect(after.tokenSet.refresh_token).not.toBe(saved.tokenSet.refresh_token);
    expect(new Date(after.tokenSet.expires_at!).getTime()).toBeGreaterThan(Date.now());
  });
});

describe('logout', () => {
  it('revokes the OAuth grant only when the last app session ends', async () => {
    const carol = await network.createAccount('carol');
    const { auth } = await instance();
    const first = await auth.exchange((await signIn(auth, carol)).exchangeToken);
    const second = await auth.exchange((await signIn(auth, carol)).exchangeToken);
    expect(first && second).toBeTruthy();
    expect(await network.oauthGrants(carol.did)).toHaveLength(1);

    const viewerOf = async (token: string) => (await auth.resolveViewer({ sessionToken: token }))!;
    await auth.logout(await viewerOf(first!.sessionToken));
    expect(await auth.resolveViewer({ sessionToken: first!.sessionToken })).toBeNull();
    expect(await network.oauthGrants(carol.did)).toHaveLength(1);
    await expect(auth.getAgent(carol.did)).resolves.toBeTruthy();

    await auth.logout(await viewerOf(second!.sessionToken));
    expect(await network.oauthGrants(carol.did)).toEqual([]);
    expect(await db.sql`SELECT did FROM oauth_sessions WHERE did = ${carol.did}`).toHaveLength(0);
    await expect(auth.getAgent(carol.did)).rejects.toBeInstanceOf(AtprotoSessionUnavailableError);
  });
});
