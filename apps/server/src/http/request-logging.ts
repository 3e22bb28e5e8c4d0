import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { urlExcerpt } from '../log-hygiene.js';

declare module 'http' {
  interface IncomingMessage {
    /** The request id: the caller's `X-Request-Id` when it is sane, else a new one. */
    id: string;
    /** A logger whose lines carry the request id. */
    log: Logger;
  }
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * One line per request, keyed by a request id that is echoed in `X-Request-Id`. Written by hand
 * rather than with pino-http: that builds a child logger and serializes headers on every request,
 * which the bench measured at 120-140 µs, more than a public /audio redirect costs in all.
 * Here the child logger is made only when a handler actually logs.
 */
export function requestLogging(logger: Logger): RequestHandler {
  // The line below is built here from fixed fields (a checked id, a method, a URL excerpt, a status),
  // none of them a redacted path: redaction could only cost its ~16 µs per line.
  const lines = logger.child({}, { redact: [] });
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    req.id = id;
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', { get: () => (child ??= logger.child({ reqId: id })), configurable: true });

    const started = performance.now();
    res.once('close', () => {
      const status = res.statusCode;
      const line = {
        reqId: id,
        req: { method: req.method, url: urlExcerpt(req.originalUrl) },
        res: { statusCode: status },
        responseTime: Math.round(performance.now() - started),
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      // A 5xx marked intended (a draining instance's /ready) is the answer wanted, not a failure.
      if (status >= 500 && res.locals.intended5xx !== true) lines.error(line, 'request failed');
      else lines.info(line, 'request completed');
    });
    next();
  };
}
