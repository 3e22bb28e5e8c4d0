import { Agent } from '@atproto/api';
import { isExpectedSessionError, type NodeOAuthClient } from '@atproto/oauth-client-node';

/** The account's OAuth grant is gone (revoked, expired or never stored): the user must sign in again. */
export class AtprotoSessionUnavailableError extends Error {
  override name = 'AtprotoSessionUnavailableError';
  constructor(
    readonly did: string,
    options?: ErrorOptions,
  ) {
    super(`no usable ATProto OAuth session for ${did}`, options);
  }
}

/**
 * An `@atproto/api` Agent acting as `did` through its stored OAuth session (refreshed when stale,
 * under the request lock), for writing the account's `fm.plyr.*` records.
 */
export async function getAgent(oauth: NodeOAuthClient, did: string): Promise<Agent> {
  try {
    return new Agent(await oauth.restore(did));
  } catch (err) {
    if (isExpectedSessionError(err)) throw new AtprotoSessionUnavailableError(did, { cause: err });
    throw err;
  }
}
