import pino, { type Logger } from 'pino';
import { serializeError } from './log-hygiene.js';

/** Paths that may hold secrets; pino replaces them before a line is written. */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  '*.token',
  '*.exchangeToken',
  '*.accessToken',
  '*.refreshToken',
  '*.sessionEncryptionKey',
  '*.secretAccessKey',
  '*.password',
];

/** Errors go through `serializeError` (no SQL, only excerpts of caller input). Writes to stdout asynchronously (batched, flushed on exit) unless a destination is given. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, serializers: { err: serializeError, error: serializeError } },
    destination ?? pino.destination({ sync: false }),
  );
}
