import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { developerTokens, users, type Db } from '@plyr/db';
import { perDatabase } from '../prepared.js';
import { randomToken, sha256Hex } from './crypto.js';
import { MAX_SECRET_LENGTH } from './sessions.js';

/** Bearer tokens for SDK and CLI use: shown once, stored as SHA-256, revocable. */

export const DEVELOPER_TOKEN_PREFIX = 'plyr_dev_';
export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_TOKEN_DAYS = 365;
export const MAX_TOKEN_NAME_LENGTH = 100;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface CreatedDeveloperToken {
  id: string;
  /** The secret: returned by `create` only, never again. */
  token: string;
  name: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface DeveloperTokenInfo {
  id: string;
  name: string;
  createdAt: Date;
  expiresAt: Date;
}

export class DeveloperTokenInputError extends Error {
  override name = 'DeveloperTokenInputError';
}

export async function createDeveloperToken(
  db: Db,
  did: string,
  input: { name: string; expiresInDays?: number },
): Promise<CreatedDeveloperToken> {
  const days = input.expiresInDays ?? DEFAULT_TOKEN_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS) {
    throw new DeveloperTokenInputError(`expiresInDays must be a whole number from 1 to ${MAX_TOKEN_DAYS}`);
  }
  const name = input.name.trim();
  if (!name || name.length > MAX_TOKEN_NAME_LENGTH) {
    throw new DeveloperTokenInputError(`name must be 1 to ${MAX_TOKEN_NAME_LENGTH} characters`);
  }
  const token = DEVELOPER_TOKEN_PREFIX + randomToken(32);
  const [row] = await db
    .insert(developerTokens)
    .values({ did, name, tokenHash: sha256Hex(token), expiresAt: new Date(Date.now() + days * DAY_MS) })
    .returning({ id: developerTokens.id, name: developerTokens.name, createdAt: developerTokens.createdAt, expiresAt: developerTokens.expiresAt });
  return { ...row!, token };
}

/** The account's tokens that still work (not revoked, not expired), newest first, without secrets. */
export async function listDeveloperTokens(db: Db, did: string): Promise<DeveloperTokenInfo[]> {
  return db
    .select({ id: developerTokens.id, name: developerTokens.name, createdAt: developerTokens.createdAt, expiresAt: developerTokens.expiresAt })
    .from(developerTokens)
    .where(and(eq(developerTokens.did, did), isNull(developerTokens.revokedAt), gt(developerTokens.expiresAt, new Date())))
    .orderBy(desc(developerTokens.createdAt));
}

/** Revokes one of the account's own tokens; its hash (what caches key it by), or null when it has no such live token. */
export async function revokeDeveloperToken(db: Db, did: string, id: string): Promise<string | null> {
  const [row] = await db
    .update(developerTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(developerTokens.id, id), eq(developerTokens.did, did), isNull(developerTokens.revokedAt)))
    .returning({ tokenHash: developerTokens.tokenHash });
  return row?.tokenHash ?? null;
}

// Built once per database; revocation and expiry are in the statement, so every call sees them at once.
const liveTokenByHash = perDatabase((db) =>
  db
    .select({ did: developerTokens.did, handle: users.handle })
    .from(developerTokens)
    .innerJoin(users, eq(users.did, developerTokens.did))
    .where(
      and(
        eq(developerTokens.tokenHash, sql.placeholder('tokenHash')),
        isNull(developerTokens.revokedAt),
        gt(developerTokens.expiresAt, sql.placeholder('now')),
      ),
    )
    .prepare('live_developer_token_by_hash'),
);

export async function findDeveloperToken(db: Db, token: string): Promise<{ did: string; handle: string } | null> {
  if (!token.startsWith(DEVELOPER_TOKEN_PREFIX) || token.length > MAX_SECRET_LENGTH) return null;
  const [row] = await liveTokenByHash(db).execute({ tokenHash: sha256Hex(token), now: new Date().toISOString() });
  return row ?? null;
}

// Without the time bound (revocation is final, expiry is judged by the clock on every cache hit).
const unrevokedTokenByHash = perDatabase((db) =>
  db
    .select({ did: developerTokens.did, handle: users.handle, expiresAt: developerTokens.expiresAt })
    .from(developerTokens)
    .innerJoin(users, eq(users.did, developerTokens.did))
    .where(and(eq(developerTokens.tokenHash, sql.placeholder('tokenHash')), isNull(developerTokens.revokedAt)))
    .prepare('unrevoked_developer_token_by_hash'),
);

/** An unrevoked token's row whatever its expiry (the hot-read cache's loader); null when there is none. */
export async function findUnrevokedTokenRow(db: Db, tokenHash: string): Promise<{ did: string; handle: string; expiresAt: Date } | null> {
  const [row] = await unrevokedTokenByHash(db).execute({ tokenHash });
  return row ?? null;
}
