import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { createOpenApiExpressMiddleware } from 'trpc-to-openapi';
import { appRouter, MAX_BODY_BYTES, REST_BASE_PATH } from '@plyr/api';
import type { Services } from '@plyr/core';
import { sendJsonError } from './json-errors.js';
import { logProcedureFailure, requestContext } from './trpc.js';

/**
 * The REST routes under /v1 (trpc-to-openapi): each calls its tRPC procedure through a caller, with
 * the context /trpc builds, so input and output validation, credentials and error codes are the
 * procedure's own. Mounted behind the same CORS, CSRF and rate-limit middleware as /trpc.
 */
export function restApi(services: Services, cookieSecure: boolean): Router {
  const router = Router();
  router.use(
    REST_BASE_PATH,
    bodilessAsJson,
    express.json({ limit: MAX_BODY_BYTES }),
    createOpenApiExpressMiddleware({
      router: appRouter,
      maxBodySize: MAX_BODY_BYTES,
      createContext: ({ req, res }) => requestContext(services, cookieSecure, req, res),
      onError: ({ error, ctx, req, path }) => logProcedureFailure(ctx?.logger ?? req.log ?? services.logger, error, path),
    }) as RequestHandler,
    bodyParserErrors,
  );
  return router;
}

/** A PUT or POST with no body at all (`PUT /v1/tracks/{id}/like`) needs no Content-Type. */
const bodilessAsJson: RequestHandler = (req, _res, next) => {
  const length = req.headers['content-length'];
  const bodiless = req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
  if (bodiless && !req.headers['content-type']) req.headers['content-type'] = 'application/json';
  next();
};

/** express.json's refusals, in the REST error body: malformed JSON is the client's mistake, never a 500. */
const bodyParserErrors: ErrorRequestHandler = (err, req, res, next) => {
  const type = (err as { type?: string } | null)?.type;
  if (type === 'entity.parse.failed') return sendJsonError(req, res, 400, 'PARSE_ERROR', 'The request body is not valid JSON');
  if (type === 'entity.too.large') {
    return sendJsonError(req, res, 413, 'PAYLOAD_TOO_LARGE', `A request body may hold at most ${MAX_BODY_BYTES} bytes`);
  }
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return sendJsonError(req, res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as UTF-8 JSON, without content encoding');
  }
  next(err);
};
