import { isPlyrError, PlyrTransferError } from '@plyr/client';

/** A refusal the CLI itself makes (bad arguments, no login, not an audio file): its message is the whole story. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** What an API error code means for someone at a terminal; the server's own message follows it. */
const CODE_HINTS: Partial<Record<string, string>> = {
  UNAUTHORIZED: 'not signed in (run `plyr login`)',
  PAYMENT_REQUIRED: 'supporters only',
  FORBIDDEN: 'not allowed',
  NOT_FOUND: 'not found',
  BAD_REQUEST: 'refused',
  TOO_MANY_REQUESTS: 'too many requests, try again later',
  SERVICE_UNAVAILABLE: 'the API is unavailable, try again later',
};

/** Any failure as one line with its reason, never a stack trace. `apiUrl` names the API a network failure was about. */
export function describeError(err: unknown, apiUrl?: string): string {
  if (err instanceof CliError || err instanceof PlyrTransferError) return err.message;
  if (isPlyrError(err)) {
    const hint = CODE_HINTS[err.data.code] ?? err.data.code.toLowerCase().replaceAll('_', ' ');
    return `${hint}: ${apiMessage(err.message, err.data.zodError)}`;
  }
  if (err instanceof Error && err.name === 'TRPCClientError') {
    const where = apiUrl ? ` at ${apiUrl}` : '';
    return `cannot reach the API${where}: ${innermostMessage(err)}`;
  }
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer in time: ${err.message}`;
  return firstLine(err instanceof Error ? err.message : String(err));
}

/** A BAD_REQUEST's field errors (`field: problem`), else the server's message. */
function apiMessage(message: string, zodError: unknown): string {
  const fieldErrors = (zodError as { fieldErrors?: Record<string, string[] | undefined> } | null)?.fieldErrors;
  const fields = Object.entries(fieldErrors ?? {}).flatMap(([field, problems]) => (problems ?? []).map((p) => `${field}: ${p}`));
  return fields.length > 0 ? fields.join('; ') : firstLine(message);
}

/** `fetch failed` says nothing; the socket error it wraps (ECONNREFUSED …, a timeout) does. */
function innermostMessage(err: Error): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return firstLine(current instanceof Error ? current.message : String(current));
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim() || 'unknown error';
}
