import { isAtprotoDid } from '@atproto/did';
import { OAuthResolverError, type NodeOAuthClient } from '@atproto/oauth-client-node';
import type { Db } from '@plyr/db';
import { readCallbackParams } from './callback-params.js';
import { isPendingState } from './oauth-stores.js';
import { createExchangeToken, upsertUser } from './sessions.js';

/** The two halves of an ATProto OAuth sign-in: redirect to the user's server, then take its answer. */

/** Handle syntax of the ATProto spec (labels of 1–63 letters, digits, hyphens; a non-numeric TLD). */
const HANDLE_PATTERN = /^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
const MAX_HANDLE_LENGTH = 253;
const AUTHORIZE_TIMEOUT_MS = 20_000;

/** Why `/auth/start` cannot proceed: `malformed` and `unresolvable` are the user's input, `upstream` is not. */
export class LoginStartError extends Error {
  override name = 'LoginStartError';
  constructor(
    readonly reason: 'malformed' | 'unresolvable' | 'upstream',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** How a callback failed, as the frontend is told (`?auth_error=`). */
export type LoginCallbackFailure = 'denied' | 'expired' | 'failed';

export class LoginCallbackError extends Error {
  override name = 'LoginCallbackError';
  constructor(
    readonly reason: LoginCallbackFailure,
    options?: ErrorOptions,
  ) {
    super(`OAuth callback ${reason}`, options);
  }
}

/** A handle (an optional leading `@` is dropped) or an ATProto DID; null when it is neither. */
export function parseLoginIdentifier(input: string): string | null {
  const value = input.trim().replace(/^@/, '');
  if (isAtprotoDid(value)) return value;
  if (value.length <= MAX_HANDLE_LENGTH && HANDLE_PATTERN.test(value)) return value.toLowerCase();
  return null;
}

/** Resolves the identity and registers the request with its authorization server; the URL to send the browser to. */
export async function startLogin(oauth: NodeOAuthClient, input: string): Promise<URL> {
  const identifier = parseLoginIdentifier(input);
  if (!identifier) throw new LoginStartError('malformed', 'handle must look like alice.example.com');
  try {
    return await oauth.authorize(identifier, { signal: AbortSignal.timeout(AUTHORIZE_TIMEOUT_MS) });
  } catch (err) {
    if (err instanceof OAuthResolverError) {
      throw new LoginStartError('unresolvable', `could not find an ATProto account for ${identifier}`, { cause: err });
    }
    throw new LoginStartError('upstream', 'the account’s authorization server could not be reached', { cause: err });
  }
}

/**
 * Finishes the authorization (code exchange, OAuth session stored), records the user, and returns a
 * one-time exchange token for the frontend. A callback that cannot be one of ours is `expired`
 * before any query: its values never reach the database.
 */
export async function completeLogin(
  oauth: NodeOAuthClient,
  db: Db,
  received: URLSearchParams,
): Promise<{ did: string; handle: string; exchangeToken: string }> {
  const params = readCallbackParams(received);
  if (!params) throw new LoginCallbackError('expired');
  const state = params.get('state')!;
  // Unknown or older than 10 minutes: the user took too long, or the URL was replayed.
  if (!(await isPendingState(db, state))) throw new LoginCallbackError('expired');
  let did: string;
  try {
    ({ session: { did } } = await oauth.callback(params));
  } catch (err) {
    throw new LoginCallbackError(params.get('error') === 'access_denied' ? 'denied' : 'failed', { cause: err });
  }
  try {
    const { handle } = await oauth.identityResolver.resolve(did, { signal: AbortSignal.timeout(AUTHORIZE_TIMEOUT_MS) });
    await upsertUser(db, did, handle);
    return { did, handle, exchangeToken: await createExchangeToken(db, did) };
  } catch (err) {
    throw new LoginCallbackError('failed', { cause: err });
  }
}
