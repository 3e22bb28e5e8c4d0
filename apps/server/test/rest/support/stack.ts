import { startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs, type SignedInUser } from '@plyr/testing/atproto/login';

/** A live API on the local ATProto network: an artist, a supporter of theirs and a stranger, signed in with cookies. */
export interface RestStack {
  network: LocalAtprotoNetwork;
  fans: FakeAtprotofans;
  app: TestApp;
  artist: SignedInUser;
  fan: SignedInUser;
  stranger: SignedInUser;
  close(): Promise<void>;
}

export async function startRestStack(env: Record<string, string> = {}): Promise<RestStack> {
  const network = await startLocalAtprotoNetwork();
  const fans = await startFakeAtprotofans();
  const app = await startTestApp({ ...network.env, ATPROTOFANS_URL: fans.url, RATE_LIMIT_ENABLED: 'false', ...env });
  const [a, f, s] = await Promise.all(['artist', 'fan', 'stranger'].map((name) => network.createAccount(name)));
  const [artist, fan, stranger] = await Promise.all([a!, f!, s!].map((account) => loginAs(app, account.handle, account.password)));
  fans.setSupporters([[fan!.did, artist!.did]]);
  return {
    network,
    fans,
    app,
    artist: artist!,
    fan: fan!,
    stranger: stranger!,
    async close() {
      await app.close();
      await fans.close();
      await network.close();
    },
  };
}

/** A developer token of `user`, made with their session over REST: what a script is given. */
export async function createDeveloperToken(app: TestApp, user: SignedInUser, name = 'script'): Promise<string> {
  const res = await fetch(`${app.url}/v1/developer-tokens`, {
    method: 'POST',
    headers: { ...user.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 200 || !body.token) throw new Error(`POST /v1/developer-tokens answered ${res.status}: ${JSON.stringify(body)}`);
  return body.token;
}

export interface RestAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** One REST call: `path` below /v1, a JSON body when given. */
export async function rest(
  app: TestApp,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown; rawBody?: string } = {},
): Promise<RestAnswer> {
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  const res = await fetch(`${app.url}/v1${path}`, {
    method,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the test sees the text
  }
  return { status: res.status, body, headers: res.headers };
}
