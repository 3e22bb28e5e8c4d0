import { and, eq, gt, isNull, lte, sql } from 'drizzle-orm';
import { appSessions, developerTokens, exchangeTokens, users, type Db } from '@plyr/db';
import { perDatabase } from '../prepared.js';
import { randomToken, sha256Hex } from './crypto.js';

/** App sessions (browser cookie or SDK bearer) and the one-time tokens that create them. */

export const SESSION_TTL_MS = 14 * 24 * 60 * 60 * 1000;
export const EXCHANGE_TOKEN_TTL_MS = 60 * 1000;
/** Session secrets carry a prefix so a leaked one is recognisable (and routed without a lookup). */
export const SESSION_TOKEN_PREFIX = 'plyr_session_';
/** Longer than any secret we issue; anything longer is refused without touching the database. */
export const MAX_SECRET_LENGTH = 128;

export interface SessionOwner {
  did: string;
  handle: string;
  tokenHash: string;
}

export async function upsertUser(db: Db, did: string, handle: string): Promise<void> {
  await db
    .insert(users)
    .values({ did, handle })
    .onConflictDoUpdate({ target: users.did, set: { handle, updatedAt: sql`now()` } });
}

export async function findUserHandle(db: Db, did: string): Promise<string | null> {
  const [row] = await db.select({ handle: users.handle }).from(users).where(eq(users.did, did));
  return row?.handle ?? null;
}

/** A 256-bit session secret; only its SHA-256 is stored. Lifetime fixed at creation (not sliding). */
export async function createAppSession(db: Db, did: string): Promise<{ token: string; expiresAt: Date }> {
  const token = SESSION_TOKEN_PREFIX + randomToken(32);
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.delete(appSessions).where(and(eq(appSessions.did, did), lte(appSessions.expiresAt, new Date())));
  await db.insert(appSessions).values({ tokenHash: sha256Hex(token), did, expiresAt });
  return { token, expiresAt };
}

// Built once per database; the time bound is a value like the hash, so every call checks expiry afresh.
const sessionByHash = perDatabase((db) =>
  db
    .select({ did: appSessions.did, handle: users.handle })
    .from(appSessions)
    .innerJoin(users, eq(users.did, appSessions.did))
    .where(and(eq(appSessions.tokenHash, sql.placeholder('tokenHash')), gt(appSessions.expiresAt, sql.placeholder('now'))))
    .prepare('app_session_by_hash'),
);

export async function findAppSession(db: Db, token: string): Promise<SessionOwner | null> {
  if (!token.startsWith(SESSION_TOKEN_PREFIX) || token.length > MAX_SECRET_LENGTH) return null;
  const tokenHash = sha256Hex(token);
  const [row] = await sessionByHash(db).execute({ tokenHash, now: new Date().toISOString() });
  return row ? { ...row, tokenHash } : null;
}

// Without the time bound: a cached row is judged against the clock on every hit, not when it was read.
const sessionRowByHash = perDatabase((db) =>
  db
    .select({ did: appSessions.did, handle: users.handle, expiresAt: appSessions.expiresAt })
    .from(appSessions)
    .innerJoin(users, eq(users.did, appSessions.did))
    .where(eq(appSessions.tokenHash, sql.placeholder('tokenHash')))
    .prepare('app_session_row_by_hash'),
);

/** A session's row whatever its expiry (the hot-read cache's loader); null when there is none. */
export async function findSessionRow(db: Db, tokenHash: string): Promise<{ did: string; handle: string; expiresAt: Date } | null> {
  const [row] = await sessionRowByHash(db).execute({ tokenHash });
  return row ?? null;
}

/** Ends one session; returns its account, or null when there was none. */
export async function deleteAppSession(db: Db, tokenHash: string): Promise<string | null> {
  const [row] = await db.delete(appSessions).where(eq(appSessions.tokenHash, tokenHash)).returning({ did: appSessions.did });
  return row?.did ?? null;
}

/** Whether anything still signs this account in (a live session or developer token) and so needs its OAuth grant. */
export async function hasLiveCredentials(db: Db, did: string): Promise<boolean> {
  const now = new Date();
  const [session] = await db
    .select({ did: appSessions.did })
    .from(appSessions)
    .where(and(eq(appSessions.did, did), gt(appSessions.expiresAt, now)))
    .limit(1);
  if (session) return true;
  const [token] = await db
    .select({ did: developerTokens.did })
    .from(developerTokens)
    .where(and(eq(developerTokens.did, did), gt(developerTokens.expiresAt, now), isNull(developerTokens.revokedAt)))
    .limit(1);
  return Boolean(token);
}

/** Carries a completed OAuth login from the callback URL to `auth.exchange`; stored hashed. */
export async function createExchangeToken(db: Db, did: string): Promise<string> {
  const token = randomToken(32);
  await db.delete(exchangeTokens).where(lte(exchangeTokens.expiresAt, new Date()));
  await db.insert(exchangeTokens).values({ tokenHash: sha256Hex(token), did, expiresAt: new Date(Date.now() + EXCHANGE_TOKEN_TTL_MS) });
  return token;
}

/** Single use: the row is deleted by the one statement that reads it, so of two racing calls one wins. */
export async function consumeExchangeToken(db: Db, token: string): Promise<string | null> {
  if (token.length > MAX_SECRET_LENGTH) return null;
  const [row] = await db
    .delete(exchangeTokens)
    .where(eq(exchangeTokens.tokenHash, sha256Hex(token)))
    .returning({ did: exchangeTokens.did, expiresAt: exchangeTokens.expiresAt });
  return row && row.expiresAt.getTime() > Date.now() ? row.did : null;
}
