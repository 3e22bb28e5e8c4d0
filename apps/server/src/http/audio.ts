import { Router, type Response } from 'express';
import type { Services } from '@plyr/core';
import { playback, type PlaybackRefusal } from '@plyr/core/playback';
import { isBackingServiceUnavailable as isUnavailable } from '@plyr/core/unavailable';

/** When to try again after the supporter service or a backing store failed. */
const RETRY_AFTER_SECONDS = '5';

function refuse(res: Response, status: number, code: string, message: string, reason?: string): void {
  res.status(status).json({ error: { code, message, ...(reason ? { reason } : {}) } });
}

const REFUSALS: Record<PlaybackRefusal, (res: Response) => void> = {
  not_found: (res) => refuse(res, 404, 'NOT_FOUND', 'No such audio'),
  // The track exists but its audio is lost: a 404 that says so, instead of a redirect to nothing.
  audio_missing: (res) => refuse(res, 404, 'NOT_FOUND', "This track's audio is missing; the artist has to upload it again", 'audio_missing'),
  login_required: (res) => refuse(res, 401, 'UNAUTHORIZED', 'Sign in to play this track'),
  support_required: (res) => {
    res.set('X-Support-Required', 'true');
    refuse(res, 402, 'SUPPORT_REQUIRED', "This track is for the artist's supporters");
  },
  unavailable: (res) => {
    res.set('Retry-After', RETRY_AFTER_SECONDS);
    refuse(res, 503, 'SERVICE_UNAVAILABLE', 'Supporter validation is unavailable; try again shortly');
  },
};

/**
 * `GET|HEAD /audio/:fileId` (SPEC.md table): the playback module decides; this maps its answer to
 * HTTP. ATProto clients reach it from a record's `audioUrl`, so a bearer token works as well as the cookie.
 */
export function audioRoutes(services: Services): Router {
  const router = Router();
  router.use('/audio', async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    try {
      const { viewer, failure } = req.credential;
      // The raw path, not a decoded parameter: `%61…`, `..%2F`, `%00` never reach the id check as hex.
      const viewing = { did: viewer?.did ?? null, lookupFailure: failure };
      const intent = req.method === 'HEAD' ? 'check' : 'play';
      const answer = await playback(services, viewing, req.path.slice(1), new Date(), intent);
      if (answer.cacheControl) res.set('Cache-Control', answer.cacheControl);
      if (!answer.ok) {
        services.metrics.audioAnswers.inc({ decision: answer.reason });
        return REFUSALS[answer.reason](res);
      }
      // A HEAD for gated audio only asks "may I play it?": yes, without handing out a URL (none is signed).
      if (answer.url === null) {
        services.metrics.audioAnswers.inc({ decision: 'head_gated' });
        return res.status(200).end();
      }
      services.metrics.audioAnswers.inc({ decision: answer.gated ? 'redirect_gated' : 'redirect_public' });
      return res.redirect(307, answer.url);
    } catch (err) {
      if (!isUnavailable(err)) return next(err);
      req.log?.warn({ err }, 'audio: a backing service is unavailable');
      services.metrics.audioAnswers.inc({ decision: 'unavailable' });
      res.set('Retry-After', RETRY_AFTER_SECONDS);
      return refuse(res, 503, 'SERVICE_UNAVAILABLE', 'Try again shortly');
    }
  });
  return router;
}
