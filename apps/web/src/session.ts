import { isPlyrError } from '@plyr/client';
import { API_URL, plyr } from './api.js';
import { notify } from './dom.js';

export interface Viewer {
  did: string;
  handle: string;
}

const AUTH_ERRORS: Record<string, string> = {
  denied: 'Sign-in was cancelled.',
  expired: 'Sign-in took too long; please try again.',
  failed: 'Sign-in failed; please try again.',
};

/** Sends the browser to the API, which redirects to the user's PDS sign-in page. */
export function startSignIn(handle: string): void {
  location.assign(`${API_URL}/auth/start?handle=${encodeURIComponent(handle.trim())}`);
}

/**
 * Finishes a sign-in the API's callback sent back here (`?exchange_token=` or `?auth_error=`):
 * the token becomes the HttpOnly session cookie, and the URL is cleaned so a reload does not replay it.
 */
export async function completeSignIn(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const exchangeToken = params.get('exchange_token');
  const authError = params.get('auth_error');
  if (!exchangeToken && !authError) return;
  history.replaceState(null, '', location.pathname);
  if (authError) {
    notify(AUTH_ERRORS[authError] ?? AUTH_ERRORS.failed!);
    return;
  }
  try {
    await plyr.auth.exchange.mutate({ exchangeToken: exchangeToken!, mode: 'cookie' });
  } catch (err) {
    if (!isPlyrError(err, 'UNAUTHORIZED')) throw err;
    notify('That sign-in link has expired or was already used; please sign in again.');
  }
}

/** Who the cookie says we are, or null when signed out. */
export async function currentViewer(): Promise<Viewer | null> {
  try {
    const { did, handle } = await plyr.auth.me.query();
    return { did, handle };
  } catch (err) {
    if (isPlyrError(err, 'UNAUTHORIZED')) return null;
    throw err;
  }
}

export async function signOut(): Promise<void> {
  await plyr.auth.logout.mutate();
}
