import type { Db } from '@plyr/db';
import { DEVELOPER_TOKEN_PREFIX, findDeveloperToken } from './developer-tokens.js';
import { findAppSession, SESSION_TOKEN_PREFIX } from './sessions.js';

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
export async function resolveViewer(db: Db, credentials: Credentials): Promise<Viewer | null> {
  const { sessionToken, bearerToken } = credentials;
  if (sessionToken) {
    const session = await findAppSession(db, sessionToken);
    if (session) return { did: session.did, handle: session.handle, via: 'cookie', sessionTokenHash: session.tokenHash };
  }
  if (bearerToken?.startsWith(DEVELOPER_TOKEN_PREFIX)) {
    const owner = await findDeveloperToken(db, bearerToken);
    return owner ? { ...owner, via: 'bearer' } : null;
  }
  if (bearerToken?.startsWith(SESSION_TOKEN_PREFIX)) {
    const session = await findAppSession(db, bearerToken);
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

export async function resolveCredential(db: Db, credentials: Credentials): Promise<ResolvedCredential> {
  if (!credentials.sessionToken && !credentials.bearerToken) return { viewer: null, deadBearer: false };
  try {
    const viewer = await resolveViewer(db, credentials);
    // A stale cookie stays anonymous, so public pages still load after a session ends.
    return { viewer, deadBearer: !viewer && !!credentials.bearerToken && !credentials.sessionToken };
  } catch (failure) {
    return { viewer: null, deadBearer: false, failure };
  }
}
