import type { Db } from '@plyr/db';
import type { HotReads } from '../cache/hot-reads.js';
import { sha256Hex } from './crypto.js';
import { DEVELOPER_TOKEN_PREFIX, findDeveloperToken } from './developer-tokens.js';
import { findAppSession, SESSION_TOKEN_PREFIX } from './sessions.js';

/** Where credentials are looked up: the hot-read cache in the app, the database directly elsewhere. */
export type CredentialLookups = Pick<HotReads, 'session' | 'developerToken'>;

/** Straight from the database, which judges expiry in the statement. */
export function databaseLookups(db: Db): CredentialLookups {
  return {
    session: (token) => findAppSession(db, token),
    developerToken: async (token) => {
      const owner = await findDeveloperToken(db, token);
      return owner && { ...owner, tokenHash: sha256Hex(token) };
    },
  };
}

/** Who is making a request, and with which credential. */
export interface Viewer {
  did: string;
  handle: string;
  via: 'cookie' | 'bearer';
  /** Set when the credential is an app session (cookie, or a token-mode bearer): what logout deletes. */
  sessionTokenHash?: string;
}

export interface Credentials {
  /** The `session_id` cookie's value. */
  sessionToken?: string;
  /** The `Authorization: Bearer` value: a developer token or a token-mode session. */
  bearerToken?: string;
}

/** The cookie first, then the bearer token; unknown, expired or revoked credentials give null. */
export async function resolveViewer(lookups: CredentialLookups, credentials: Credentials, now = new Date()): Promise<Viewer | null> {
  const { sessionToken, bearerToken } = credentials;
  if (sessionToken) {
    const session = await lookups.session(sessionToken, now);
    if (session) return { did: session.did, handle: session.handle, via: 'cookie', sessionTokenHash: session.tokenHash };
  }
  if (bearerToken?.startsWith(DEVELOPER_TOKEN_PREFIX)) {
    const owner = await lookups.developerToken(bearerToken, now);
    return owner ? { did: owner.did, handle: owner.handle, via: 'bearer' } : null;
  }
  if (bearerToken?.startsWith(SESSION_TOKEN_PREFIX)) {
    const session = await lookups.session(bearerToken, now);
    return session ? { did: session.did, handle: session.handle, via: 'bearer', sessionTokenHash: session.tokenHash } : null;
  }
  return null;
}

/** What a request's credentials came to: resolved once per request, read by every layer. */
export interface ResolvedCredential {
  viewer: Viewer | null;
  /** A bearer token sent without a session cookie and not live: presented on purpose, so an error rather than a quiet sign-out. */
  deadBearer: boolean;
  /** Set when the lookup itself failed (a backing store is down): who is asking cannot be told. */
  failure?: unknown;
}

export async function resolveCredential(lookups: CredentialLookups, credentials: Credentials): Promise<ResolvedCredential> {
  if (!credentials.sessionToken && !credentials.bearerToken) return { viewer: null, deadBearer: false };
  try {
    const viewer = await resolveViewer(lookups, credentials);
    // A stale cookie stays anonymous, so public pages still load after a session ends.
    return { viewer, deadBearer: !viewer && !!credentials.bearerToken && !credentials.sessionToken };
  } catch (failure) {
    return { viewer: null, deadBearer: false, failure };
  }
}
