import { Router, type Response } from 'express';
import type { Services } from '@plyr/core';
import { decideAccess } from '@plyr/core/access';
import { findTrackByFileId } from '@plyr/core/tracks/index';
import { isBackingServiceUnavailable as isUnavailable } from '@plyr/core/unavailable';

/** A fileId is 32 lowercase hex characters; anything else is refused before any query. */
const FILE_ID = /^[a-f0-9]{32}$/;
/** When to try again after the supporter service or a backing store failed. */
const RETRY_AFTER_SECONDS = '5';
/** Public redirects point at immutable CDN objects; short, so an un-gated → gated change is seen soon. */
const PUBLIC_REDIRECT_CACHE = 'public, max-age=60';
const GATED_CACHE = 'private, no-store';

function refuse(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/**
 * `GET|HEAD /audio/:fileId` (SPEC.md table): public audio redirects to the CDN; gated audio applies
 * the one access decision and redirects an allowed viewer to a short-lived presigned URL. ATProto
 * clients reach it from a record's `audioUrl`, so a bearer token works as well as the cookie.
 */
export function audioRoutes(services: Services): Router {
  const router = Router();
  router.use('/audio', async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // The raw path, not a decoded parameter: `%61…`, `..%2F`, `%00` never reach the pattern as hex.
    const fileId = req.path.slice(1);
    if (!FILE_ID.test(fileId)) return refuse(res, 404, 'NOT_FOUND', 'No such audio');
    try {
      const track = await findTrackByFileId(services.db, fileId);
      if (!track) return refuse(res, 404, 'NOT_FOUND', 'No such audio');
      const key = services.storage.audioKey(track.fileId, track.fileType);

      if (!track.supportGate) {
        if (track.bucket === 'public') {
          res.set('Cache-Control', PUBLIC_REDIRECT_CACHE);
          return res.redirect(307, services.storage.cdnUrl(track.fileId, track.fileType));
        }
        // Un-gating in progress: the audio is still in the private bucket.
        const { url } = await services.storage.presignGet('private', key);
        res.set('Cache-Control', GATED_CACHE);
        return res.redirect(307, url);
      }

      res.set('Cache-Control', GATED_CACHE);
      const { viewer, failure } = req.credential;
      if (failure !== undefined) throw failure;
      const decision = await decideAccess(viewer?.did ?? null, track, services.supporters);
      switch (decision) {
        case 'login_required':
          return refuse(res, 401, 'UNAUTHORIZED', 'Sign in to play this track');
        case 'support_required':
          res.set('X-Support-Required', 'true');
          return refuse(res, 402, 'SUPPORT_REQUIRED', "This track is for the artist's supporters");
        case 'unavailable':
          res.set('Retry-After', RETRY_AFTER_SECONDS);
          return refuse(res, 503, 'SERVICE_UNAVAILABLE', 'Supporter validation is unavailable; try again shortly');
        case 'allowed':
          if (req.method === 'HEAD') return res.status(200).end();
          // From whichever bucket holds the object now, so a move in progress never breaks playback.
          return res.redirect(307, (await services.storage.presignGet(track.bucket, key)).url);
      }
    } catch (err) {
      if (!isUnavailable(err)) return next(err);
      req.log?.warn({ err }, 'audio: a backing service is unavailable');
      res.set('Retry-After', RETRY_AFTER_SECONDS);
      return refuse(res, 503, 'SERVICE_UNAVAILABLE', 'Try again shortly');
    }
  });
  return router;
}
