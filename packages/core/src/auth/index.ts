import type { Agent } from '@atproto/api';
import type { NodeOAuthClient } from '@atproto/oauth-client-node';
import type { Db } from '@plyr/db';
import type { Logger } from 'pino';
import { getAgent } from './agent.js';
import {
  createDeveloperToken,
  listDeveloperTokens,
  revokeDeveloperToken,
  type CreatedDeveloperToken,
  type DeveloperTokenInfo,
} from './developer-tokens.js';
import { completeLogin, startLogin } from './login.js';
import { consumeExchangeToken, createAppSession, deleteAppSession, findUserHandle, hasLiveCredentials } from './sessions.js';
import type { HotReads } from '../cache/hot-reads.js';
import { databaseLookups, resolveCredential, resolveViewer, type Credentials, type ResolvedCredential, type Viewer } from './viewer.js';

export { AtprotoSessionUnavailableError } from './agent.js';
export { DecryptionError, decryptSecret, encryptSecret, randomToken, sha256Hex } from './crypto.js';
export {
  createDeveloperToken,
  DEFAULT_TOKEN_DAYS,
  DEVELOPER_TOKEN_PREFIX,
  DeveloperTokenInputError,
  MAX_TOKEN_DAYS,
  MAX_TOKEN_NAME_LENGTH,
  type CreatedDeveloperToken,
  type DeveloperTokenInfo,
} from './developer-tokens.js';
export { LoginCallbackError, LoginStartError, parseLoginIdentifier, type LoginCallbackFailure } from './login.js';
export {
  buildClientMetadata,
  CALLBACK_PATH,
  CLIENT_METADATA_PATH,
  createOAuthClient,
  JWKS_PATH,
  loopbackRedirectUri,
  OAUTH_SCOPE,
  OAuthConfigError,
  type OAuthClientConfig,
  type OAuthClientDeps,
} from './oauth-client.js';
export { OAUTH_STATE_TTL_MS, PostgresSessionStore, PostgresStateStore } from './oauth-stores.js';
export { createRequestLock, LockTimeoutError, type RequestLockOptions } from './request-lock.js';
// Seeding (tests, bench, demo catalogue) opens sessions and accounts without a sign-in.
export { createAppSession, EXCHANGE_TOKEN_TTL_MS, SESSION_TOKEN_PREFIX, SESSION_TTL_MS, upsertUser } from './sessions.js';
export type { Credentials, ResolvedCredential, Viewer } from './viewer.js';

/** Everything "who is this request" for the routes and routers. */
export interface AuthService {
  /** Cookie first, then bearer; expired, revoked or unknown credentials → null. */
  resolveViewer(credentials: Credentials): Promise<Viewer | null>;
  /** The same lookup for a request: never throws, a failed lookup is reported in `failure`. */
  resolveCredential(credentials: Credentials): Promise<ResolvedCredential>;
  /** An Agent writing as `did` through its OAuth session; throws AtprotoSessionUnavailableError when there is none. */
  getAgent(did: string): Promise<Agent>;
  /** `/auth/start`: the authorization server URL to redirect to; throws LoginStartError. */
  startLogin(handle: string): Promise<URL>;
  /** `/auth/callback`: stores the OAuth session and returns a one-time exchange token; throws LoginCallbackError. */
  completeLogin(params: URLSearchParams): Promise<{ did: string; handle: string; exchangeToken: string }>;
  /** `auth.exchange`: consumes the token and opens a 14-day app session; null when replayed, expired or unknown. */
  exchange(exchangeToken: string): Promise<{ did: string; handle: string; sessionToken: string; expiresAt: Date } | null>;
  /** Ends the viewer's app session; revokes the OAuth grant once nothing signs the account in any more. */
  logout(viewer: Viewer): Promise<void>;
  developerTokens: {
    create(did: string, input: { name: string; expiresInDays?: number }): Promise<CreatedDeveloperToken>;
    list(did: string): Promise<DeveloperTokenInfo[]>;
    /** False when the account has no such live token. */
    revoke(did: string, id: string): Promise<boolean>;
  };
}

export interface AuthServiceDeps {
  db: Db;
  oauth: NodeOAuthClient;
  logger: Logger;
  /** Credentials looked up through the hot-read cache (the app); without it, the database directly. */
  hot?: HotReads;
}

export function createAuthService({ db, oauth, logger, hot }: AuthServiceDeps): AuthService {
  const lookups = hot ?? databaseLookups(db);
  return {
    resolveViewer: (credentials) => resolveViewer(lookups, credentials),
    resolveCredential: (credentials) => resolveCredential(lookups, credentials),
    getAgent: (did) => getAgent(oauth, did),
    startLogin: (handle) => startLogin(oauth, handle),
    completeLogin: (params) => completeLogin(oauth, db, params),

    async exchange(exchangeToken) {
      const did = await consumeExchangeToken(db, exchangeToken);
      const handle = did && (await findUserHandle(db, did));
      if (!did || !handle) return null;
      const { token, expiresAt } = await createAppSession(db, did);
      return { did, handle, sessionToken: token, expiresAt };
    },

    async logout(viewer) {
      if (viewer.sessionTokenHash) {
        await deleteAppSession(db, viewer.sessionTokenHash);
        await hot?.forgetSession(viewer.sessionTokenHash);
      }
      if (await hasLiveCredentials(db, viewer.did)) return;
      // The grant is revoked at the authorization server too; a failure there must not keep the user signed in here.
      await oauth.revoke(viewer.did).catch((err: unknown) => {
        logger.warn({ err, did: viewer.did }, 'auth: revoking the OAuth grant at logout failed');
      });
    },

    developerTokens: {
      create: (did, input) => createDeveloperToken(db, did, input),
      list: (did) => listDeveloperTokens(db, did),
      async revoke(did, id) {
        const tokenHash = await revokeDeveloperToken(db, did, id);
        if (tokenHash) await hot?.forgetDeveloperToken(tokenHash);
        return tokenHash !== null;
      },
    },
  };
}
