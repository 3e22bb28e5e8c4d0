import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDb, type DbHandle } from '@plyr/db';
import { createTestDatabase } from '@plyr/testing';
import { sha256Hex } from '../../src/auth/crypto.js';
import {
  createDeveloperToken,
  DeveloperTokenInputError,
  findDeveloperToken,
  listDeveloperTokens,
  revokeDeveloperToken,
} from '../../src/auth/developer-tokens.js';
import {
  consumeExchangeToken,
  createAppSession,
  createExchangeToken,
  deleteAppSession,
  findAppSession,
  hasLiveCredentials,
  SESSION_TTL_MS,
  upsertUser,
} from '../../src/auth/sessions.js';
import { databaseLookups, resolveViewer } from '../../src/auth/viewer.js';

const alice = { did: 'did:plc:alice0000000000000000000', handle: 'alice.test' };
const bob = { did: 'did:plc:bob000000000000000000000', handle: 'bob.test' };

let database: { url: string; drop: () => Promise<void> };
let handle: DbHandle;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = await createDb({ url: database.url, max: 20 });
  await upsertUser(handle.db, alice.did, alice.handle);
  await upsertUser(handle.db, bob.did, bob.handle);
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await handle.close();
  await database.drop();
});

/** Every text value stored in a table, to prove a secret is not among them. */
async function storedValues(table: string): Promise<string> {
  const rows = await handle.sql.unsafe(`SELECT * FROM ${table}`);
  return JSON.stringify(rows);
}

describe('app sessions', () => {
  it('opens a 14-day session whose secret the database never sees', async () => {
    const before = Date.now();
    const { token, expiresAt } = await createAppSession(handle.db, alice.did);
    expect(Buffer.from(token.replace(/^plyr_session_/, ''), 'base64url')).toHaveLength(32);
    expect(expiresAt.getTime() - before).toBeGreaterThanOrEqual(SESSION_TTL_MS - 1000);
    expect(expiresAt.getTime() - before).toBeLessThanOrEqual(SESSION_TTL_MS + 1000);
    expect(await findAppSession(handle.db, token)).toEqual({ ...alice, tokenHash: sha256Hex(token) });
    const stored = await storedValues('app_sessions');
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(token.replace(/^plyr_session_/, ''));
    expect(stored).toContain(sha256Hex(token));
  });

  it('does not slide: using a session leaves its expiry where it was', async () => {
    const { token, expiresAt } = await createAppSession(handle.db, alice.did);
    await findAppSession(handle.db, token);
    await findAppSession(handle.db, token);
    const [row] = await handle.sql`SELECT expires_at FROM app_sessions WHERE token_hash = ${sha256Hex(token)}`;
    expect(new Date(row!.expires_at as string).getTime()).toBe(expiresAt.getTime());
  });

  it('stops working the moment it expires, even while in use', async () => {
    const { token, expiresAt } = await createAppSession(handle.db, alice.did);
    expect(await findAppSession(handle.db, token)).toMatchObject(alice);
    // The lookup judges expiry by this process's clock, so the clock is moved instead of waited on.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(expiresAt.getTime() - 1);
    expect(await findAppSession(handle.db, token)).toMatchObject(alice);
    vi.setSystemTime(expiresAt.getTime());
    expect(await findAppSession(handle.db, token)).toBeNull();
  });

  it('refuses an expired, deleted, forged or oversized session', async () => {
    const { token } = await createAppSession(handle.db, alice.did);
    await handle.sql`UPDATE app_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = ${sha256Hex(token)}`;
    expect(await findAppSession(handle.db, token)).toBeNull();

    const other = await createAppSession(handle.db, alice.did);
    expect(await deleteAppSession(handle.db, sha256Hex(other.token))).toBe(alice.did);
    expect(await findAppSession(handle.db, other.token)).toBeNull();

    expect(await findAppSession(handle.db, `plyr_session_${'A'.repeat(43)}`)).toBeNull();
    expect(await findAppSession(handle.db, `plyr_session_${'A'.repeat(500)}`)).toBeNull();
  });
});

describe('exchange tokens', () => {
  it('are single use', async () => {
    const token = await createExchangeToken(handle.db, alice.did);
    expect(await storedValues('exchange_tokens')).not.toContain(token);
    expect(await consumeExchangeToken(handle.db, token)).toBe(alice.did);
    expect(await consumeExchangeToken(handle.db, token)).toBeNull();
  });

  it('expire after 60 seconds', async () => {
    const token = await createExchangeToken(handle.db, alice.did);
    const [row] = await handle.sql`SELECT expires_at FROM exchange_tokens WHERE token_hash = ${sha256Hex(token)}`;
    const ttl = new Date(row!.expires_at as string).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // As the clock would stand 61 s later.
    await handle.sql`UPDATE exchange_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = ${sha256Hex(token)}`;
    expect(await consumeExchangeToken(handle.db, token)).toBeNull();
  });

  it('let exactly one of many concurrent consumers win', async () => {
    for (let round = 0; round < 5; round++) {
      const token = await createExchangeToken(handle.db, alice.did);
      const results = await Promise.all(Array.from({ length: 12 }, () => consumeExchangeToken(handle.db, token)));
      expect(results.filter((r) => r === alice.did)).toHaveLength(1);
      expect(results.filter((r) => r === null)).toHaveLength(11);
    }
  });
});

describe('developer tokens', () => {
  it('are shown once, stored hashed, listed without secrets, revoked at once', async () => {
    const created = await createDeveloperToken(handle.db, alice.did, { name: 'cli' });
    expect(created.token).toMatch(/^plyr_dev_[A-Za-z0-9_-]{43}$/);
    const days = (created.expiresAt.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    expect(await storedValues('developer_tokens')).not.toContain(created.token.slice('plyr_dev_'.length));

    expect(await findDeveloperToken(handle.db, created.token)).toEqual(alice);
    const listed = await listDeveloperTokens(handle.db, alice.did);
    expect(listed.find((t) => t.id === created.id)).toEqual({
      id: created.id,
      name: 'cli',
      createdAt: created.createdAt,
      expiresAt: created.expiresAt,
    });
    expect(JSON.stringify(listed)).not.toContain(created.token);

    expect(await revokeDeveloperToken(handle.db, bob.did, created.id)).toBeNull();
    expect(await findDeveloperToken(handle.db, created.token)).toEqual(alice);
    expect(await revokeDeveloperToken(handle.db, alice.did, created.id)).toBe(sha256Hex(created.token));
    expect(await findDeveloperToken(handle.db, created.token)).toBeNull();
    expect((await listDeveloperTokens(handle.db, alice.did)).map((t) => t.id)).not.toContain(created.id);
    expect(await revokeDeveloperToken(handle.db, alice.did, created.id)).toBeNull();
  });

  it('last at most 365 days', async () => {
    const year = await createDeveloperToken(handle.db, bob.did, { name: 'year', expiresInDays: 365 });
    expect((year.expiresAt.getTime() - Date.now()) / 86_400_000).toBeGreaterThan(364.9);
    await expect(createDeveloperToken(handle.db, bob.did, { name: 'x', expiresInDays: 999 })).rejects.toThrow(DeveloperTokenInputError);
    await expect(createDeveloperToken(handle.db, bob.did, { name: 'x', expiresInDays: 0 })).rejects.toThrow(DeveloperTokenInputError);
    await expect(createDeveloperToken(handle.db, bob.did, { name: '  ' })).rejects.toThrow(DeveloperTokenInputError);
  });

  it('stop working the moment they expire, even while in use', async () => {
    const created = await createDeveloperToken(handle.db, bob.did, { name: 'soon' });
    expect(await findDeveloperToken(handle.db, created.token)).toEqual(bob);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(created.expiresAt.getTime() - 1);
    expect(await findDeveloperToken(handle.db, created.token)).toEqual(bob);
    vi.setSystemTime(created.expiresAt.getTime());
    expect(await findDeveloperToken(handle.db, created.token)).toBeNull();
  });

  it('stop working when expired', async () => {
    const created = await createDeveloperToken(handle.db, bob.did, { name: 'short', expiresInDays: 1 });
    await handle.sql`UPDATE developer_tokens SET expires_at = now() - interval '1 second' WHERE id = ${created.id}`;
    expect(await findDeveloperToken(handle.db, created.token)).toBeNull();
  });
});

describe('viewer resolution', () => {
  it('takes the cookie first, then the bearer token', async () => {
    const session = await createAppSession(handle.db, alice.did);
    const token = await createDeveloperToken(handle.db, bob.did, { name: 'sdk' });
    expect(await resolveViewer(databaseLookups(handle.db), { sessionToken: session.token, bearerToken: token.token })).toEqual({
      ...alice,
      via: 'cookie',
      sessionTokenHash: sha256Hex(session.token),
    });
    expect(await resolveViewer(databaseLookups(handle.db), { bearerToken: token.token })).toEqual({ ...bob, via: 'bearer' });
    // A token-mode session is a bearer credential too.
    expect(await resolveViewer(databaseLookups(handle.db), { bearerToken: session.token })).toEqual({
      ...alice,
      via: 'bearer',
      sessionTokenHash: sha256Hex(session.token),
    });
    // A stale cookie does not hide a valid bearer token.
    expect(await resolveViewer(databaseLookups(handle.db), { sessionToken: 'plyr_session_stale', bearerToken: token.token })).toEqual({ ...bob, via: 'bearer' });
  });

  it('gives null for unknown, malformed or missing credentials', async () => {
    expect(await resolveViewer(databaseLookups(handle.db), {})).toBeNull();
    expect(await resolveViewer(databaseLookups(handle.db), { sessionToken: 'nonsense' })).toBeNull();
    expect(await resolveViewer(databaseLookups(handle.db), { bearerToken: 'plyr_dev_forged' })).toBeNull();
    expect(await resolveViewer(databaseLookups(handle.db), { bearerToken: 'eyJhbGciOi.jwt.like' })).toBeNull();
  });
});

describe('live credentials', () => {
  it('counts sessions and developer tokens, not expired or revoked ones', async () => {
    const carol = { did: 'did:plc:carol00000000000000000000', handle: 'carol.test' };
    await upsertUser(handle.db, carol.did, carol.handle);
    expect(await hasLiveCredentials(handle.db, carol.did)).toBe(false);
    const session = await createAppSession(handle.db, carol.did);
    expect(await hasLiveCredentials(handle.db, carol.did)).toBe(true);
    await deleteAppSession(handle.db, sha256Hex(session.token));
    const token = await createDeveloperToken(handle.db, carol.did, { name: 'ci' });
    expect(await hasLiveCredentials(handle.db, carol.did)).toBe(true);
    await revokeDeveloperToken(handle.db, carol.did, token.id);
    expect(await hasLiveCredentials(handle.db, carol.did)).toBe(false);
  });
});
