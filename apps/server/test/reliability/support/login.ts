import { signInOnPds } from '@plyr/testing/atproto/oauth-login';

/**
 * A real sign-in (API → local PDS → API → exchange) that keeps every secret it handled, so a test
 * can look for them afterwards in logs and bodies.
 */
export interface CapturedLogin {
  did: string;
  handle: string;
  headers: Record<string, string>;
  /** The session secret: cookie value or bearer token. */
  sessionToken: string;
  exchangeToken: string;
  /** The OAuth authorization code the PDS sent back on the callback URL. */
  authorizationCode: string;
  state: string;
}

const TIMEOUT_MS = 15_000;

export async function captureLogin(
  app: { url: string },
  account: { handle: string; password: string },
  mode: 'cookie' | 'token',
): Promise<CapturedLogin> {
  const start = await fetch(`${app.url}/auth/start?${new URLSearchParams({ handle: account.handle })}`, {
    redirect: 'manual',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const authorizeUrl = start.headers.get('location');
  if (start.status !== 307 || !authorizeUrl) throw new Error(`/auth/start answered ${start.status}`);
  const callback = await signInOnPds({ authorizeUrl, username: account.handle, password: account.password });
  const authorizationCode = callback.searchParams.get('code') ?? '';
  const state = callback.searchParams.get('state') ?? '';
  const landing = await fetch(callback, { redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
  const exchangeToken = new URL(landing.headers.get('location') ?? 'http://x/').searchParams.get('exchange_token');
  if (!exchangeToken) throw new Error(`/auth/callback answered ${landing.status} ${landing.headers.get('location')}`);
  const res = await fetch(`${app.url}/trpc/auth.exchange`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ exchangeToken, mode }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const data = ((await res.json()) as { result?: { data?: { did: string; handle: string; token?: string } } }).result?.data;
  if (!data) throw new Error(`auth.exchange answered ${res.status}`);
  const sessionToken =
    mode === 'token' ? data.token! : res.headers.getSetCookie().find((c) => c.startsWith('session_id='))!.slice('session_id='.length).split(';')[0]!;
  return {
    did: data.did,
    handle: data.handle,
    sessionToken,
    exchangeToken,
    authorizationCode,
    state,
    headers: mode === 'token' ? { authorization: `Bearer ${sessionToken}` } : { cookie: `session_id=${sessionToken}` },
  };
}
