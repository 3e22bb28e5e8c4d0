/**
 * The shape of an OAuth authorization response (RFC 6749 §4.1.2, RFC 9207), checked before anything
 * reaches the database or the OAuth client: a callback URL is typed by anyone.
 */

/** Our states: 16 random bytes in base64url, as the OAuth client's `generateNonce()` makes them. */
const STATE = /^[A-Za-z0-9_-]{22}$/;
/** Codes are opaque (the atproto PDS issues `cod-` + 64 hex); visible ASCII, bounded. */
const CODE = /^[\x21-\x7e]{1,1024}$/;
/** RFC 9207 issuer: an http(s) URL without spaces or control characters. */
const ISSUER = /^https?:\/\/[\x21-\x7e]{1,2040}$/;
/** RFC 6749 `error` and `error_description`: NQSCHAR (visible ASCII and space, without `"` and `\`). */
const ERROR_CODE = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,128}$/;
const ERROR_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]{0,1024}$/;

/** Parameters an authorization server sends back, with the shape each must have. */
const SHAPES: Record<string, RegExp> = {
  state: STATE,
  code: CODE,
  iss: ISSUER,
  error: ERROR_CODE,
  error_description: ERROR_TEXT,
  error_uri: ISSUER,
};

/**
 * The callback parameters worth passing on, or null when the callback cannot be one of ours: no or
 * a foreign-shaped state, a known parameter repeated (RFC 6749 forbids it) or malformed, or not
 * exactly one of a code (success) and an error (refusal). Unknown parameters are dropped, as RFC 6749 asks clients to ignore them;
 * `response` (JARM, which we never request) makes the callback malformed.
 */
export function readCallbackParams(params: URLSearchParams): URLSearchParams | null {
  if (params.has('response')) return null;
  const clean = new URLSearchParams();
  for (const [name, shape] of Object.entries(SHAPES)) {
    const values = params.getAll(name);
    if (values.length === 0) continue;
    if (values.length > 1 || !shape.test(values[0]!)) return null;
    clean.set(name, values[0]!);
  }
  if (!clean.has('state') || clean.has('code') === clean.has('error')) return null;
  return clean;
}
