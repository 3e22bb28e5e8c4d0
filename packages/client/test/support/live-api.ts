import { randomBytes } from 'node:crypto';
import { withStack } from '@plyr/server/testing';
import type { TestAccount } from '@plyr/testing/atproto/network';
import { createPlyrClient, type PlyrClient } from '../../src/index.js';

/** A signed-in user of the live API, as the SDK sees them: a cookie session and a developer token. */
export interface LiveUser {
  did: string;
  handle: string;
  /** The `session_id` cookie's value, for a browser profile signed in as this user. */
  sessionCookie: string;
  /** Browser mode in Node: the session cookie goes in as a header (Node's fetch keeps no cookie jar). */
  session: PlyrClient;
  /** A developer token minted through the SDK by the signed-in user. */
  token: string;
  /** Token mode with that developer token: what a Node script uses. */
  client: PlyrClient;
}

/**
 * The shared test stack (`@plyr/server/testing`) with the SDK's signed-in users as file fixtures,
 * each signed in only when a test asks for it: `artist` publishes, `fan` supports the artist on
 * atprotofans (the stack's `supporter`), `listener` does not; `anonymous` has no credentials.
 */
export function withLiveApi(env: Record<string, string> = {}) {
  return withStack(env)
    .extend('signInUser', { scope: 'file' }, async ({ app, signIn }) => async (account: TestAccount, name: string): Promise<LiveUser> => {
      const login = await signIn(account);
      const session = createPlyrClient({ baseUrl: app.url, headers: login.headers });
      const { token } = await session.auth.developerTokens.create.mutate({ name: `${name} script` });
      return { did: login.did, handle: login.handle, sessionCookie: login.sessionToken, session, token, client: createPlyrClient({ baseUrl: app.url, token }) };
    })
    .extend('artist', { scope: 'file' }, async ({ accounts, signInUser }) => signInUser(accounts.artist, 'artist'))
    .extend('fan', { scope: 'file' }, async ({ accounts, signInUser }) => signInUser(accounts.supporter, 'fan'))
    .extend('listener', { scope: 'file' }, async ({ accounts, signInUser }) => signInUser(accounts.listener, 'listener'))
    .extend('anonymous', { scope: 'file' }, async ({ app }) => createPlyrClient({ baseUrl: app.url }));
}

/** The live API with the test defaults. */
export const liveTest = withLiveApi();

/** Bytes the API accepts as MP3 (it sniffs the frame header), the rest random so copies are checkable. */
export function mp3Bytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  bytes.set(randomBytes(size));
  bytes.set([0xff, 0xfb, 0x90, 0x64], 0);
  return bytes;
}

/** Byte-for-byte equality; far quicker than a deep `toEqual` on large arrays. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
