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
