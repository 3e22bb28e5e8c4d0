import { and, eq, gt, lte } from 'drizzle-orm';
import type { NodeSavedSession, NodeSavedSessionStore, NodeSavedState, NodeSavedStateStore } from '@atproto/oauth-client-node';
import { oauthSessions, oauthStates, type Db } from '@plyr/db';
import { DecryptionError, decryptSecret, encryptSecret } from './crypto.js';

/** Lifetime of a pending authorization (PKCE verifier + DPoP key) between /auth/start and the callback. */
export const OAUTH_STATE_TTL_MS = 10 * 60 * 1000;

/** Pending authorizations in Postgres, encrypted; expired ones read as absent and are swept on write. */
export class PostgresStateStore implements NodeSavedStateStore {
  constructor(
    private readonly db: Db,
    private readonly key: Buffer,
    private readonly ttlMs = OAUTH_STATE_TTL_MS,
  ) {}

  async get(key: string): Promise<NodeSavedState | undefined> {
    const [row] = await this.db
      .select({ value: oauthStates.value })
      .from(oauthStates)
      .where(and(eq(oauthStates.key, key), gt(oauthStates.expiresAt, new Date())));
    return row ? openSealed<NodeSavedState>(this.key, row.value, `state:${key}`) : undefined;
  }

  async set(key: string, state: NodeSavedState): Promise<void> {
    const value = encryptSecret(this.key, JSON.stringify(state), `state:${key}`);
    const expiresAt = new Date(Date.now() + this.ttlMs);
    await this.db.delete(oauthStates).where(lte(oauthStates.expiresAt, new Date()));
    await this.db
      .insert(oauthStates)
      .values({ key, value, expiresAt })
      .onConflictDoUpdate({ target: oauthStates.key, set: { value, expiresAt } });
  }

  async del(key: string): Promise<void> {
    await this.db.delete(oauthStates).where(eq(oauthStates.key, key));
  }
}

/** One OAuth session per account (tokens + DPoP private key), encrypted at rest. */
export class PostgresSessionStore implements NodeSavedSessionStore {
  constructor(
    private readonly db: Db,
    private readonly key: Buffer,
  ) {}

  async get(did: string): Promise<NodeSavedSession | undefined> {
    const [row] = await this.db.select({ value: oauthSessions.value }).from(oauthSessions).where(eq(oauthSessions.did, did));
    return row ? openSealed<NodeSavedSession>(this.key, row.value, `session:${did}`) : undefined;
  }

  async set(did: string, session: NodeSavedSession): Promise<void> {
    const value = encryptSecret(this.key, JSON.stringify(session), `session:${did}`);
    const updatedAt = new Date();
    await this.db
      .insert(oauthSessions)
      .values({ did, value, updatedAt })
      .onConflictDoUpdate({ target: oauthSessions.did, set: { value, updatedAt } });
  }

  async del(did: string): Promise<void> {
    await this.db.delete(oauthSessions).where(eq(oauthSessions.did, did));
  }
}

/** A value sealed under another key (SESSION_ENCRYPTION_KEY was changed) is as good as absent: sign in again. */
function openSealed<T>(key: Buffer, sealed: string, context: string): T | undefined {
  try {
    return JSON.parse(decryptSecret(key, sealed, context)) as T;
  } catch (err) {
    if (err instanceof DecryptionError) return undefined;
    throw err;
  }
}

/** Whether `state` names an authorization still waiting for its callback (unknown or older than 10 minutes → no). */
export async function isPendingState(db: Db, state: string): Promise<boolean> {
  const [row] = await db
    .select({ key: oauthStates.key })
    .from(oauthStates)
    .where(and(eq(oauthStates.key, state), gt(oauthStates.expiresAt, new Date())));
  return Boolean(row);
}
