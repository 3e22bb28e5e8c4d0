import {
  buildAtprotoLoopbackClientMetadata,
  JoseKey,
  NodeOAuthClient,
  type OAuthClientMetadataInput,
} from '@atproto/oauth-client-node';
import type { Db, SessionLocks } from '@plyr/db';
import type { CoreConfig } from '../config.js';
import { PostgresSessionStore, PostgresStateStore } from './oauth-stores.js';
import { createRequestLock, type RequestLockOptions } from './request-lock.js';

/** `atproto` plus exactly what plyr writes: its two record types and audio blobs (no `transition:generic`). */
export const OAUTH_SCOPE = 'atproto repo:fm.plyr.track repo:fm.plyr.like blob:audio/*';
export const CALLBACK_PATH = '/auth/callback';
export const CLIENT_METADATA_PATH = '/oauth-client-metadata.json';
export const JWKS_PATH = '/.well-known/jwks.json';
const CLIENT_NAME = 'plyr.fm';
/** Identity resolution, authorization-server and PDS calls (record writes included). */
const DEFAULT_FETCH_TIMEOUT_MS = 15_000;

export type OAuthClientConfig = Pick<
  CoreConfig,
  'appEnv' | 'publicUrl' | 'plcUrl' | 'handleResolver' | 'sessionEncryptionKey' | 'oauthPrivateKeys'
>;

export interface OAuthClientDeps {
  config: OAuthClientConfig;
  db: Db;
  /** Where the refresh lock lives (DbHandle.locks). */
  locks: SessionLocks;
  fetchTimeoutMs?: number;
  lock?: RequestLockOptions;
}

export class OAuthConfigError extends Error {
  override name = 'OAuthConfigError';
}

/** `http://127.0.0.1…` in place of `http://localhost…`: loopback clients must name the IP (RFC 8252 §8.3). */
export function loopbackRedirectUri(publicUrl: string): string {
  const url = new URL(CALLBACK_PATH, publicUrl);
  if (url.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    throw new OAuthConfigError(
      `PUBLIC_URL ${publicUrl} is not a loopback http URL: set OAUTH_PRIVATE_KEYS (and an https PUBLIC_URL) for a confidential client`,
    );
  }
  if (url.hostname === 'localhost') url.hostname = '127.0.0.1';
  return url.href;
}

/** What the authorization server learns about plyr: loopback in development, confidential with keys. */
export function buildClientMetadata(config: Pick<OAuthClientConfig, 'publicUrl' | 'oauthPrivateKeys'>): OAuthClientMetadataInput {
  if (!config.oauthPrivateKeys) {
    return buildAtprotoLoopbackClientMetadata({ scope: OAUTH_SCOPE, redirect_uris: [loopbackRedirectUri(config.publicUrl)] });
  }
  const base = config.publicUrl.replace(/\/+$/, '');
  if (!base.startsWith('https://')) {
    throw new OAuthConfigError('a confidential OAuth client (OAUTH_PRIVATE_KEYS) needs an https PUBLIC_URL');
  }
  return {
    client_id: `${base}${CLIENT_METADATA_PATH}`,
    client_name: CLIENT_NAME,
    client_uri: base,
    application_type: 'web',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [`${base}${CALLBACK_PATH}`],
    scope: OAUTH_SCOPE,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    dpop_bound_access_tokens: true,
    jwks_uri: `${base}${JWKS_PATH}`,
  };
}

/** The ATProto OAuth client: Postgres stores (encrypted), a PostgreSQL refresh lock, bounded network calls. */
export async function createOAuthClient(deps: OAuthClientDeps): Promise<NodeOAuthClient> {
  const { config, db, locks } = deps;
  const production = config.appEnv === 'production';
  if (production && !config.oauthPrivateKeys) {
    throw new OAuthConfigError('OAUTH_PRIVATE_KEYS is required in production');
  }
  const keyset = config.oauthPrivateKeys
    ? await Promise.all(config.oauthPrivateKeys.map((jwk) => JoseKey.fromJWK(jwk as Record<string, unknown>)))
    : undefined;
  return new NodeOAuthClient({
    clientMetadata: buildClientMetadata(config),
    keyset,
    stateStore: new PostgresStateStore(db, config.sessionEncryptionKey),
    sessionStore: new PostgresSessionStore(db, config.sessionEncryptionKey),
    requestLock: createRequestLock(locks, deps.lock),
    handleResolver: config.handleResolver,
    plcDirectoryUrl: config.plcUrl,
    // A local PDS / PLC speaks http; production authorization servers must be https.
    allowHttp: !production,
    fetch: fetchWithTimeout(deps.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS),
  });
}

function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const given = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    return fetch(input, { ...init, signal: given ? AbortSignal.any([given, timeout]) : timeout });
  };
}
