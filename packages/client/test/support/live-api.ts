import { randomBytes } from 'node:crypto';
import { startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '@plyr/server/testing';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs } from '@plyr/testing/atproto/login';
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

export interface LiveApi {
  app: TestApp;
  fans: FakeAtprotofans;
  network: LocalAtprotoNetwork;
  /** `artist` publishes; `fan` supports the artist on atprotofans; `listener` does not. */
  artist: LiveUser;
  fan: LiveUser;
  listener: LiveUser;
  /** No credentials at all. */
  anonymous: PlyrClient;
  close(): Promise<void>;
}

/** The real API (Postgres, Redis, S3-compatible storage, a local PDS) with three signed-in users. */
export async function startLiveApi(env: Record<string, string> = {}): Promise<LiveApi> {
  const network = await startLocalAtprotoNetwork();
  const fans = await startFakeAtprotofans();
  const app = await startTestApp({ ...network.env, ATPROTOFANS_URL: fans.url, RATE_LIMIT_ENABLED: 'false', ...env });
  const signIn = async (name: string): Promise<LiveUser> => {
    const account = await network.createAccount(name);
    const login = await loginAs(app, account.handle, account.password);
    const session = createPlyrClient({ baseUrl: app.url, headers: login.headers });
    const { token } = await session.auth.developerTokens.create.mutate({ name: `${name} script` });
    return { did: login.did, handle: login.handle, sessionCookie: login.sessionToken, session, token, client: createPlyrClient({ baseUrl: app.url, token }) };
  };
  const artist = await signIn('artist');
  const fan = await signIn('fan');
  const listener = await signIn('listener');
  fans.setSupporters([[fan.did, artist.did]]);
  return {
    app,
    fans,
    network,
    artist,
    fan,
    listener,
    anonymous: createPlyrClient({ baseUrl: app.url }),
    async close() {
      await app.close();
      await fans.close();
      await network.close();
    },
  };
}

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
