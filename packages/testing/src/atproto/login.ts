import { signInOnPds, type ConsentDecision } from './oauth-login.js';

/** Signing a test user in to a running API through a local PDS, exactly as a browser + frontend would. */

const TIMEOUT_MS = 15_000;

export interface SignedInUser {
  did: string;
  handle: string;
  /** The `session_id` secret (cookie mode) or bearer token (token mode). */
  sessionToken: string;
  /** Ready to spread into request headers: `cookie` in cookie mode, `authorization` in token mode. */
  headers: Record<string, string>;
  /** Cookie mode: the raw `Set-Cookie` header `auth.exchange` answered with. */
  setCookie?: string;
}

export interface BrowserLoginOptions {
  handle: string;
  password: string;
  decision?: ConsentDecision;
  /**
   * The API's PUBLIC_URL when it is not the URL the test reaches it at (a confidential client's https
   * origin): the PDS redirects there, and the test follows to `app.url` instead.
   */
  publicUrl?: string;
}

export class LoginFlowError extends Error {
  override name = 'LoginFlowError';
}

/**
 * `/auth/start` → PDS sign-in and consent (or refusal) → `/auth/callback`; returns the frontend URL
 * the API finally sends the browser to (`?exchange_token=` or `?auth_error=`).
 */
export async function browserLogin(app: { url: string }, options: BrowserLoginOptions): Promise<URL> {
  const start = await fetch(`${app.url}/auth/start?${new URLSearchParams({ handle: options.handle })}`, {
    redirect: 'manual',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const authorizeUrl = start.headers.get('location');
  if (start.status !== 307 || !authorizeUrl) {
    throw new LoginFlowError(`/auth/start answered ${start.status}: ${await start.text()}`);
  }
  const callback = await signInOnPds({
    authorizeUrl,
    username: options.handle,
    password: options.password,
    decision: options.decision,
  });
  const callbackUrl = options.publicUrl && callback.href.startsWith(options.publicUrl)
    ? new URL(callback.href.slice(options.publicUrl.replace(/\/+$/, '').length), app.url)
    : callback;
  const landing = await fetch(callbackUrl, { redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
  const location = landing.headers.get('location');
  if (landing.status !== 303 || !location) {
    throw new LoginFlowError(`/auth/callback answered ${landing.status}: ${await landing.text()}`);
  }
  return new URL(location);
}

/** Calls `auth.exchange` over HTTP; the raw response, for tests that inspect it. */
export function exchange(app: { url: string }, exchangeToken: string, mode: 'cookie' | 'token'): Promise<Response> {
  return fetch(`${app.url}/trpc/auth.exchange`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ exchangeToken, mode }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
}

/**
 * A signed-in user of `app` (the local PDS account `handle`/`password`), holding a real OAuth session
 * the API can write records with. Cookie mode by default; `mode: 'token'` gives a bearer token.
 */
export async function loginAs(
  app: { url: string },
  handle: string,
  password: string,
  options: { mode?: 'cookie' | 'token'; publicUrl?: string } = {},
): Promise<SignedInUser> {
  const mode = options.mode ?? 'cookie';
  const landing = await browserLogin(app, { handle, password, publicUrl: options.publicUrl });
  const exchangeToken = landing.searchParams.get('exchange_token');
  if (!exchangeToken) throw new LoginFlowError(`login ended on ${landing.href}`);
  const res = await exchange(app, exchangeToken, mode);
  const body = (await res.json()) as { result?: { data?: { did: string; handle: string; token?: string } } };
  const data = body.result?.data;
  if (res.status !== 200 || !data) throw new LoginFlowError(`auth.exchange answered ${res.status}: ${JSON.stringify(body)}`);
  if (mode === 'token') {
    if (!data.token) throw new LoginFlowError('auth.exchange returned no token');
    return { did: data.did, handle: data.handle, sessionToken: data.token, headers: { authorization: `Bearer ${data.token}` } };
  }
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('session_id='));
  const sessionToken = setCookie?.slice('session_id='.length).split(';')[0];
  if (!setCookie || !sessionToken) throw new LoginFlowError('auth.exchange set no session_id cookie');
  return { did: data.did, handle: data.handle, sessionToken, headers: { cookie: `session_id=${sessionToken}` }, setCookie };
}
