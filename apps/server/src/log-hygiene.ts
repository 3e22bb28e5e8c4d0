/**
 * What of a caller's input or of our SQL may reach a log line: short, escaped excerpts, never SQL text
 * or its parameters. Errors are logged through `serializeError`, request URLs through `urlExcerpt`.
 */

/** Longest excerpt of any text that may hold caller input (messages, URLs, field values). */
export const EXCERPT_CHARS = 120;
const MAX_CAUSES = 4;
const MAX_FRAMES = 12;
const MAX_QUERY_NAMES = 8;

/**
 * Error fields that carry SQL text (`query`, `where`, `internal_query`), its bound values (`params`,
 * `parameters`, `args`) or values copied from a row or an input (`detail`, `hint`): never logged.
 */
const WITHHELD_FIELDS = new Set([
  'query',
  'params',
  'parameters',
  'args',
  'types',
  'detail',
  'hint',
  'where',
  'internal_query',
  'internal_position',
  'position',
  'stack',
  'message',
  'cause',
  'name',
]);

/** At most `max` characters, anything outside printable ASCII escaped (`\u0000`, `\u00ff`). */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const head = text.length > max ? text.slice(0, max) : text;
  const escaped = head.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > max ? `${escaped}…(${text.length} chars)` : escaped;
}

export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
  [field: string]: unknown;
}

/**
 * pino's `err` serializer: type, an excerpt of the message, the stack frames (not the message the
 * stack repeats), short primitive fields such as `code`, and the causes. A database error's SQL and
 * parameters (drizzle's DrizzleQueryError puts both into its message) are withheld.
 */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) {
    const message = typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
    return { type: typeof err, message: excerpt(message) };
  }
  const carriesSql = typeof (err as { query?: unknown }).query === 'string';
  const out: SerializedError = {
    type: err.constructor?.name && err.constructor.name !== 'Error' ? err.constructor.name : err.name,
    message: carriesSql ? 'query failed (SQL text and parameters withheld)' : excerpt(err.message),
  };
  for (const [field, value] of Object.entries(err)) {
    if (WITHHELD_FIELDS.has(field)) continue;
    if (typeof value === 'string') out[field] = excerpt(value);
    else if (typeof value === 'number' || typeof value === 'boolean') out[field] = value;
  }
  // The stack opens with the message (caller text, or SQL): keep what follows it, the frames.
  const stack = err.stack ?? '';
  const afterMessage = err.message && stack.includes(err.message) ? stack.slice(stack.indexOf(err.message) + err.message.length) : stack;
  const frames = afterMessage.split('\n').filter((line) => /^\s+at /.test(line));
  if (frames.length > 0) out.stack = frames.slice(0, MAX_FRAMES).map((line) => excerpt(line.trim(), 300)).join('\n');
  if (err.cause !== undefined && depth < MAX_CAUSES) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/**
 * A request URL for the access log: the path as an excerpt, and of the query string only the
 * parameter names (values can be exchange tokens or OAuth codes), themselves excerpts.
 */
export function urlExcerpt(url: string): string {
  const q = url.indexOf('?');
  const path = excerpt(q < 0 ? url : url.slice(0, q));
  if (q < 0) return path;
  const names = [...new Set(new URLSearchParams(url.slice(q + 1)).keys())];
  const shown = names.slice(0, MAX_QUERY_NAMES).map((name) => `${excerpt(name, 32)}=…`);
  if (names.length > MAX_QUERY_NAMES) shown.push(`…(${names.length} names)`);
  return `${path}?${shown.join('&')}`;
}
