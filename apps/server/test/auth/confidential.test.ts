import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionStore } from '@plyr/core/auth';
import { productionSecrets } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { loginAs } from '@plyr/testing/atproto/login';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork, type TestAccount } from '@plyr/testing/atproto/network';
import { parseSetCookie, trpc } from './http.js';

/** The production shape: an https PUBLIC_URL and OAUTH_PRIVATE_KEYS → a confidential client (private_key_jwt, ES256). */
const PUBLIC_URL = 'https://api.plyr-confidential.dev';
const CLIENT_ID = `${PUBLIC_URL}/oauth-client-metadata.json`;
const secrets = productionSecrets();

let network: LocalAtprotoNetwork;
let app: TestApp;
let alice: TestAccount;

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  app = await startTestApp({
    ...network.env,
    ...secrets,
    PUBLIC_URL,
    FRONTEND_URL: 'https://plyr-confidential.dev',
    CORS_ORIGINS: 'https://plyr-confidential.dev',
    RATE_LIMIT_ENABLED: 'false',
  });
  // The PDS would fetch these from PUBLIC_URL over https; here it reads them from the API under test.
  network.serveClientDocumentsFrom(PUBLIC_URL, app.url);
  alice = await network.createAccount('alice');
});

afterAll(async () => {
  await app?.close();
  await network?.close();
});

describe('confidential OAuth client', () => {
  it('serves its client metadata at the client_id URL', async () => {
    const res = await fetch(`${app.url}/oauth-client-metadata.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const meta = await res.json();
    expect(meta).toMatchObject({
      client_id: CLIENT_ID,
      application_type: 'web',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [`${PUBLIC_URL}/auth/callback`],
      scope: 'atproto repo:fm.plyr.track repo:fm.plyr.like blob:audio/*',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      dpop_bound_access_tokens: true,
      jwks_uri: `${PUBLIC_URL}/.well-known/jwks.json`,
    });
    expect(meta.jwks).toBeUndefined();
  });

  it('serves only public keys in its JWKS', async () => {
    const res = await fetch(`${app.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const { keys } = await res.json();
    const configured = JSON.parse(secrets.OAUTH_PRIVATE_KEYS).keys[0];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: configured.kid, x: configured.x, y: configured.y });
    for (const k of keys) {
      for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(k).not.toHaveProperty(privateMember);
    }
    expect(JSON.stringify(keys)).not.toContain(configured.d);
  });

  it('signs in with private_key_jwt against the local PDS, and refreshes with it', async () => {
    const user = await loginAs(app, alice.handle, alice.password, { publicUrl: PUBLIC_URL });
    expect(user.did).toBe(alice.did);
    // FRONTEND_URL is https: the cookie is Secure.
    expect(parseSetCookie(user.setCookie!).attributes.has('secure')).toBe(true);
    expect((await trpc(app.url, 'auth.me', { headers: user.headers })).body.result.data).toEqual({ did: alice.did, handle: 'alice.test' });

    const created = network.tokenEvents.filter((e) => e.did === alice.did && e.kind === 'created');
    expect(created).toEqual([{ kind: 'created', did: alice.did, clientId: CLIENT_ID, authMethod: 'private_key_jwt' }]);

    // An expired access token is refreshed with a fresh client assertion, and the write goes through.
    const store = new PostgresSessionStore(app.services.db, app.services.config.sessionEncryptionKey);
    const saved = (await store.get(alice.did))!;
    await store.set(alice.did, { ...saved, tokenSet: { ...saved.tokenSet, expires_at: new Date(Date.now() - 60_000).toISOString() } });
    const agent = await app.services.auth.getAgent(alice.did);
    const like = await agent.com.atproto.repo.createRecord({
      repo: alice.did,
      collection: 'fm.plyr.like',
      record: { $type: 'fm.plyr.like', subject: { uri: 'at://did:plc:x/fm.plyr.track/1', cid: 'bafyreib' }, createdAt: new Date().toISOString() },
    });
    expect(like.data.uri).toContain(alice.did);
    expect(network.tokenEvents.filter((e) => e.did === alice.did && e.kind === 'refreshed')).toEqual([
      { kind: 'refreshed', did: alice.did, clientId: CLIENT_ID, authMethod: 'private_key_jwt' },
    ]);
  });
});
