import type { Request, Response } from 'express';
import { REST_BASE_PATH, type RestErrorBody } from '@plyr/api';

/** Under /v1, where clients read the documented REST error body (`Error` in /openapi.json). */
export function isRestRequest(req: Request): boolean {
  const url = req.originalUrl;
  return url === REST_BASE_PATH || url.startsWith(`${REST_BASE_PATH}/`) || url.startsWith(`${REST_BASE_PATH}?`);
}

/** The host's own JSON refusals: the REST error body under /v1, `{ error: { code, message } }` elsewhere. */
export function sendJsonError(req: Request, res: Response, status: number, code: string, message: string): void {
  const body: RestErrorBody = { code, message };
  res.status(status).json(isRestRequest(req) ? body : { error: body });
}
