import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { NodeSavedSession, NodeSavedState } from '@atproto/oauth-client-node';
import { createDb, type DbHandle } from '@plyr/db';
import { createTestDatabase } from '@plyr/testing';
import { isPendingState, OAUTH_STATE_TTL_MS, PostgresSessionStore, PostgresStateStore } from '../../src/auth/oauth-stores.js';

const key = randomBytes(32);
const did = 'did:plc:alice0000000000000000000';
const dpopJwk = { kty: 'EC', crv: 'P-256', x: 'x-coord', y: 'y-coord', d: 'PRIVATE-DPOP-SCALAR' };

const savedSession = {
  dpopJwk,
  authMethod: { method: 'none' },
  tokenSet: {
    iss: 'http://localhost:2583',
    sub: did,
    aud: 'http://localhost:2583',
    scope: 'atproto',
    access_token: 'ACCESS-TOKEN-SECRET',
    refresh_token: 'REFRESH-TOKEN-SECRET',
    token_type: 'DPoP',
    expires_at: new Date(Date.now() + 3_600_000).toISOString(),
  },
} as unknown as NodeSavedSession;

const savedState = {
  iss: 'http://localhost:2583',
  dpopJwk,
  authMethod: { method: 'none' },
  verifier: 'PKCE-VERIFIER-SECRET',
} as unknown as NodeSavedState;

let database: { url: string; drop: () => Promise<void> };
let handle: DbHandle;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = await createDb({ url: database.url });
});

afterAll(async () => {
  await handle.close();
  await database.drop();
});

describe('OAuth session store', () => {
  it('keeps tokens and the DPoP key encrypted at rest', async () => {
    const store = new PostgresSessionStore(handle.db, key);
    await store.set(did, savedSession);
    const rows = JSON.stringify(await handle.sql`SELECT * FROM oauth_sessions`);
    for (const secret of ['ACCESS-TOKEN-SECRET', 'REFRESH-TOKEN-SECRET', 'PRIVATE-DPOP-SCALAR', 'access_token']) {
      expect(rows).not.toContain(secret);
    }
    expect(await store.get(did)).toEqual(savedSession);
  });

  it('replaces the session on refresh and forgets it on delete', async () => {
    const store = new PostgresSessionStore(handle.db, key);
    const refreshed = { ...savedSession, tokenSet: { ...savedSession.tokenSet, access_token: 'NEW' } } as NodeSavedSession;
    await store.set(did, refreshed);
    expect((await store.get(did))?.tokenSet.access_token).toBe('NEW');
    expect(await handle.sql`SELECT did FROM oauth_sessions`).toHaveLength(1);
    await store.del(did);
    expect(await store.get(did)).toBeUndefined();
  });

  it('treats a session sealed under another key as absent (sign in again), not as an error', async () => {
    await new PostgresSessionStore(handle.db, randomBytes(32)).set(did, savedSession);
    expect(await new PostgresSessionStore(handle.db, key).get(did)).toBeUndefined();
  });

  it('refuses a row copied to another account', async () => {
    const store = new PostgresSessionStore(handle.db, key);
    await store.set(did, savedSession);
    const other = 'did:plc:mallory00000000000000000';
    await handle.sql`INSERT INTO oauth_sessions (did, value) SELECT ${other}, value FROM oauth_sessions WHERE did = ${did}`;
    expect(await store.get(other)).toBeUndefined();
  });
});

describe('OAuth state store', () => {
  it('keeps the PKCE verifier and DPoP key encrypted, for 10 minutes', async () => {
    const store = new PostgresStateStore(handle.db, key);
    const before = Date.now();
    await store.set('state-1', savedState);
    const [row] = await handle.sql`SELECT * FROM oauth_states WHERE key = 'state-1'`;
    expect(JSON.stringify(row)).not.toContain('PKCE-VERIFIER-SECRET');
    expect(JSON.stringify(row)).not.toContain('PRIVATE-DPOP-SCALAR');
    const ttl = new Date(row!.expires_at as string).getTime() - before;
    expect(ttl).toBeGreaterThan(OAUTH_STATE_TTL_MS - 2_000);
    expect(ttl).toBeLessThanOrEqual(OAUTH_STATE_TTL_MS + 1_000);
    expect(OAUTH_STATE_TTL_MS).toBe(600_000);
    expect(await store.get('state-1')).toEqual(savedState);
    expect(await isPendingState(handle.db, 'state-1')).toBe(true);
    await store.del('state-1');
    expect(await store.get('state-1')).toBeUndefined();
    expect(await isPendingState(handle.db, 'state-1')).toBe(false);
  });

  it('reads an expired state as absent and sweeps it on the next write', async () => {
    // Expiry is decided on this process's clock (Date), so the test moves that clock, not the timers.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const store = new PostgresStateStore(handle.db, key);
      const written = Date.now();
      await store.set('state-old', savedState);
      vi.setSystemTime(written + OAUTH_STATE_TTL_MS - 1);
      expect(await store.get('state-old')).toEqual(savedState);
      expect(await isPendingState(handle.db, 'state-old')).toBe(true);
      vi.setSystemTime(written + OAUTH_STATE_TTL_MS);
      expect(await store.get('state-old')).toBeUndefined();
      expect(await isPendingState(handle.db, 'state-old')).toBe(false);
      await store.set('state-new', savedState);
      expect((await handle.sql`SELECT key FROM oauth_states`).map((r) => r.key)).toEqual(['state-new']);
    } finally {
      vi.useRealTimers();
    }
  });
});
