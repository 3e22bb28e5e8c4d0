import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/**
 * Drives a PDS's OAuth sign-in page the way a browser does, through the page's own JSON API
 * (`@atproto/oauth-provider` 0.22.9, pinned in this package). The provider checks `sec-fetch-*`,
 * `origin`, `referer` and a double-submit CSRF cookie; Node's `fetch` forces `sec-fetch-mode: cors`
 * and is refused, hence `node:http` and a cookie jar here.
 */

const API_PREFIX = '/@atproto/oauth-provider/~api';
const CSRF_COOKIE = 'csrf-token';
const REQUEST_TIMEOUT_MS = 10_000;
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) plyr-tests';

export type ConsentDecision = 'consent' | 'reject';

export interface PdsSignInOptions {
  /** The PDS authorization URL the API's `/auth/start` redirected to. */
  authorizeUrl: string;
  /** Handle or email. */
  username: string;
  password: string;
  /** `reject` presses "Deny access". */
  decision?: ConsentDecision;
}

export class PdsSignInError extends Error {
  override name = 'PdsSignInError';
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: string,
  ) {
    super(message);
  }
}

interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Cookies per host, as a browser keeps them for the PDS origin (path `/` only, which is all it sets). */
export class CookieJar {
  private readonly cookies = new Map<string, Map<string, string>>();

  store(url: URL, setCookie: string[] | undefined): void {
    for (const line of setCookie ?? []) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [key = '', val = ''] = a.split('=').map((s) => s.trim());
        if (key.toLowerCase() === 'max-age') return Number(val) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(val) <= Date.now();
        return false;
      });
      const host = this.hostCookies(url);
      if (expired || value === '') host.delete(name);
      else host.set(name, value);
    }
  }

  get(url: URL, name: string): string | undefined {
    return this.cookies.get(url.host)?.get(name);
  }

  header(url: URL): string | undefined {
    const host = this.cookies.get(url.host);
    if (!host || host.size === 0) return undefined;
    return [...host].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private hostCookies(url: URL): Map<string, string> {
    let host = this.cookies.get(url.host);
    if (!host) this.cookies.set(url.host, (host = new Map()));
    return host;
  }
}

/** One HTTP exchange with no redirect following, cookies read from and saved to `jar`. */
export function browserRequest(
  jar: CookieJar,
  url: URL,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, 'accept-language': 'en', ...init.headers };
  const cookie = jar.header(url);
  if (cookie) headers.cookie = cookie;
  if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        jar.store(url, res.headers['set-cookie']);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('timeout', () => req.destroy(new PdsSignInError(`${init.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

/** Headers of a top-level navigation (typing a URL, following a redirect, clicking a link). */
function navigationHeaders(site: 'cross-site' | 'same-origin', referer?: string): Record<string, string> {
  return {
    accept: 'text/html,application/xhtml+xml',
    'sec-fetch-site': site,
    'sec-fetch-mode': 'navigate',
    'sec-fetch-dest': 'document',
    ...(referer ? { referer } : {}),
  };
}

/**
 * Signs in on the PDS and consents (or declines), then returns the URL the PDS finally redirects the
 * browser to: the client's redirect_uri with `code`+`state`+`iss` (or `error=access_denied`).
 */
export async function signInOnPds(options: PdsSignInOptions, jar = new CookieJar()): Promise<URL> {
  const authorizeUrl = new URL(options.authorizeUrl);
  const origin = authorizeUrl.origin;

  // Arriving from the app (cross-site): the page load sets the device and CSRF cookies.
  const page = await browserRequest(jar, authorizeUrl, { headers: navigationHeaders('cross-site') });
  if (page.status !== 200) {
    throw new PdsSignInError(`authorization page answered ${page.status}`, page.status, page.body);
  }

  const callApi = async (endpoint: string, body: unknown, extra: Record<string, string> = {}) => {
    const csrf = jar.get(authorizeUrl, CSRF_COOKIE);
    if (!csrf) throw new PdsSignInError('the authorization page set no CSRF cookie');
    const res = await browserRequest(jar, new URL(`${API_PREFIX}${endpoint}`, origin), {
      method: 'POST',
      body: JSON.stringify(body),
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        origin,
        referer: authorizeUrl.href,
        'sec-fetch-site': 'same-origin',
        'sec-fetch-mode': 'same-origin',
        'sec-fetch-dest': 'empty',
        'x-csrf-token': csrf,
        ...extra,
      },
    });
    if (res.status !== 200) throw new PdsSignInError(`${endpoint} answered ${res.status}`, res.status, res.body);
    return JSON.parse(res.body) as Record<string, unknown>;
  };

  let next: unknown;
  if (options.decision === 'reject') {
    next = (await callApi('/reject', {})).url;
  } else {
    const signIn = (await callApi('/sign-in', {
      locale: 'en',
      username: options.username,
      password: options.password,
      remember: false,
    })) as { account?: { did?: string }; ephemeralToken?: string };
    const did = signIn.account?.did;
    if (!did || !signIn.ephemeralToken) throw new PdsSignInError('sign-in returned no account or token');
    next = (await callApi('/consent', { did }, { authorization: `Bearer ${signIn.ephemeralToken}` })).url;
  }
  if (typeof next !== 'string') throw new PdsSignInError('the PDS returned no redirect URL');

  // The page then navigates to the provider's redirect endpoint, which 303s to the client.
  const redirect = await browserRequest(jar, new URL(next), {
    headers: navigationHeaders('same-origin', authorizeUrl.href),
  });
  const location = redirect.headers.location;
  if (redirect.status !== 303 || !location) {
    throw new PdsSignInError(`redirect endpoint answered ${redirect.status}`, redirect.status, redirect.body);
  }
  return new URL(location, origin);
}
