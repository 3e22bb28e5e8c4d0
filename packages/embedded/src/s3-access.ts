import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { parse as parseQuery } from 'node:querystring';

export interface Refusal {
  status: number;
  code: string;
  message: string;
}

/**
 * s3rver serves every unsigned request and has no bucket policies, so this stands in for what R2
 * does with a public bucket: anyone may GET/HEAD its objects, everything else must be signed.
 * Detection mirrors s3rver's own (Koa parses the query with node:querystring, the router decodes
 * the raw path), so a request never looks signed here and anonymous there.
 */
export function refuseEmbeddedRequest(
  method: string,
  rawUrl: string,
  headers: IncomingHttpHeaders,
  publicBucket: string,
): Refusal | null {
  const queryAt = rawUrl.indexOf('?');
  const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { status: 400, code: 'InvalidURI', message: 'Could not parse the specified URI.' };
  }
  // The filesystem store joins keys onto paths: a dot segment would step into the other bucket.
  if (path.split(/[/\\]/).some((segment) => segment === '.' || segment === '..')) {
    return { status: 400, code: 'InvalidURI', message: 'Dot segments are not allowed in keys.' };
  }

  const query = parseQuery(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1));
  const signed = 'authorization' in headers || 'Signature' in query || 'X-Amz-Algorithm' in query;
  // CORS preflights carry no credentials by design and expose nothing.
  if (signed || method === 'OPTIONS') return null;

  const [, bucket, ...key] = path.split('/');
  const readsPublicObject =
    (method === 'GET' || method === 'HEAD') && bucket === publicBucket && key.join('/') !== '';
  if (readsPublicObject && isPlainHost(headers.host)) return null;
  return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
}

/** s3rver rewrites `<bucket>.s3.amazonaws.com` hosts into paths; only plain hosts keep the path honest. */
function isPlainHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  const hostname = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return hostname === 'localhost' || isIP(hostname) !== 0;
}
