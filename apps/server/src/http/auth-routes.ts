import { Router, type Request, type Response } from 'express';
import type { Services } from '@plyr/core';
import {
  CALLBACK_PATH,
  CLIENT_METADATA_PATH,
  JWKS_PATH,
  LoginCallbackError,
  LoginStartError,
  type LoginCallbackFailure,
} from '@plyr/core/auth';

/**
 * The browser half of ATProto OAuth (SPEC.md "Authentication"): /auth/start sends the user to their
 * authorization server, /auth/callback brings them back to the frontend with a one-time exchange
 * token. Plus the client metadata and public keys that authorization servers fetch.
 */
/** `frontendUrl`: where the sign-in ends (FRONTEND_URL). */
export function authRoutes(services: Services, frontendUrl: string): Router {
  const router = Router();
  const { auth, oauth, config } = services;

  router.get('/auth/start', async (req: Request, res: Response) => {
    const handle = req.query.handle;
    if (typeof handle !== 'string' || handle.trim() === '') {
      badRequest(res, 'query parameter "handle" is required, e.g. /auth/start?handle=alice.bsky.social');
      return;
    }
    try {
      const url = await auth.startLogin(handle);
      res.redirect(307, url.href);
    } catch (err) {
      if (!(err instanceof LoginStartError)) throw err;
      if (err.reason === 'upstream') {
        req.log.warn({ err }, 'auth start: authorization server unavailable');
        res.status(502).json({ error: { code: 'BAD_GATEWAY', message: err.message } });
        return;
      }
      badRequest(res, err.message);
    }
  });

  router.get(CALLBACK_PATH, async (req: Request, res: Response) => {
    // The URL carries a one-time code, and the answer a one-time token: neither may be cached.
    res.set('Cache-Control', 'no-store');
    const params = new URL(req.originalUrl, 'http://callback.invalid').searchParams;
    try {
      const { exchangeToken } = await auth.completeLogin(params);
      res.redirect(303, frontendRedirect(frontendUrl, 'exchange_token', exchangeToken));
    } catch (err) {
      const reason: LoginCallbackFailure = err instanceof LoginCallbackError ? err.reason : 'failed';
      if (reason === 'failed') req.log.warn({ err }, 'auth callback failed');
      res.redirect(303, frontendRedirect(frontendUrl, 'auth_error', reason));
    }
  });

  router.get(CLIENT_METADATA_PATH, (_req: Request, res: Response) => {
    res.json(oauth.clientMetadata);
  });

  router.get(JWKS_PATH, (_req: Request, res: Response) => {
    if (!config.oauthPrivateKeys) {
      res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no OAuth keys are configured (loopback client)' } });
      return;
    }
    // The keyset's public view: `d` and every other private member are stripped by @atproto/jwk.
    res.json(oauth.jwks);
  });

  return router;
}

function badRequest(res: Response, message: string): void {
  res.status(400).json({ error: { code: 'BAD_REQUEST', message } });
}

/** `FRONTEND_URL/?<name>=<value>`, as SPEC.md spells the landing URLs. */
function frontendRedirect(base: string, name: string, value: string): string {
  return `${base.replace(/\/+$/, '')}/?${new URLSearchParams({ [name]: value })}`;
}
