import type { CookieOptions, Response } from 'express';
import type { SessionCookie } from '@plyr/api';
import { SESSION_TTL_MS } from '@plyr/core/auth';

export const SESSION_COOKIE = 'session_id';

/** SPEC.md cookie: HttpOnly, Secure unless the frontend is http://localhost, SameSite=Lax, Path=/, no Domain. */
function sessionCookieOptions(secure: boolean): CookieOptions {
  return { httpOnly: true, secure, sameSite: 'lax', path: '/' };
}

/** The session cookie of one response, as procedures set or clear it. */
export function sessionCookieOf(res: Response, secure: boolean): SessionCookie {
  return {
    set: (sessionToken) => res.cookie(SESSION_COOKIE, sessionToken, { ...sessionCookieOptions(secure), maxAge: SESSION_TTL_MS }),
    clear: () => res.clearCookie(SESSION_COOKIE, sessionCookieOptions(secure)),
  };
}
