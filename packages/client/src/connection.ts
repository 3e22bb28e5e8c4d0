/** A `fetch` the client can use: the global one, undici's, or a test double of the same shape. */
export type FetchFunction = (url: string, init?: RequestInit) => Promise<Response>;

/** Extra headers for every API request: fixed, or computed per request (e.g. a tracing id). */
export type HeadersOption = Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);

export interface PlyrClientOptions {
  /** The API's origin, e.g. `https://api.plyr.fm` (procedures are served under `/trpc`). */
  baseUrl: string | URL;
  /**
   * A developer token (Node scripts, CLIs, servers): sent as `Authorization: Bearer`, and cookies are
   * never sent. Without it the client is in browser mode and sends the session cookie.
   */
  token?: string;
  /** Used instead of the global `fetch`. */
  fetch?: FetchFunction;
  /** Sent with every API request (never to storage URLs). */
  headers?: HeadersOption;
  /**
   * How long an API request may take, and how long an upload or download may go without moving a
   * byte, before it is abandoned. Default 30 000 ms.
   */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** How the client reaches the API: base URL, credentials mode and headers, shared by every helper. */
export interface Connection {
  readonly baseUrl: string;
  readonly mode: 'browser' | 'token';
  readonly timeoutMs: number;
  /** A request to the API: credentials per mode, the user's headers, bearer token, timeout. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** What the tRPC link sends: credentials per mode and a timeout (headers come from `headers()`). */
  trpcFetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  headers(): Promise<Record<string, string>>;
  /** A request to storage (presigned URL): never cookies or the token, which belong to the API alone. */
  storage(url: string, init: RequestInit): Promise<Response>;
}

export function createConnection(options: PlyrClientOptions): Connection {
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TypeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
  const token = options.token;
  if (token !== undefined && token.trim() === '') throw new TypeError('token is empty; omit it for browser mode');
  const fetchImpl: FetchFunction = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const credentials: RequestCredentials = token ? 'omit' : 'include';

  async function headers(): Promise<Record<string, string>> {
    const extra = typeof options.headers === 'function' ? await options.headers() : (options.headers ?? {});
    return token ? { ...extra, authorization: `Bearer ${token}` } : { ...extra };
  }

  const trpcFetch: Connection['trpcFetch'] = (input, init) =>
    fetchImpl(typeof input === 'string' ? input : 'url' in input ? input.url : input.href, {
      ...init,
      credentials,
      signal: withTimeout(timeoutMs, init?.signal),
    });

  return {
    baseUrl,
    mode: token ? 'token' : 'browser',
    timeoutMs,
    headers,
    trpcFetch,
    async api(path, init = {}) {
      const merged = new Headers(await headers());
      new Headers(init.headers).forEach((value, key) => merged.set(key, value));
      return fetchImpl(`${baseUrl}${path}`, { ...init, headers: merged, credentials, signal: withTimeout(timeoutMs, init.signal) });
    },
    storage: (url, init) => fetchImpl(url, { ...init, credentials: 'omit' }),
  };
}

function normalizeBaseUrl(baseUrl: string | URL): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`baseUrl is not an absolute URL: ${String(baseUrl)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`baseUrl must be http(s), got ${url.protocol}`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The caller's signal (if any) combined with a deadline. */
export function withTimeout(ms: number, signal?: AbortSignal | null): AbortSignal {
  const deadline = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, deadline]) : deadline;
}

/**
 * Aborts a transfer that goes `ms` without progress: a large file on a slow link may take long,
 * a stalled one must not hang forever. Call `touch()` on every chunk and `stop()` when done;
 * `cancel()` also ends a transfer whose reader walked away (a no-op once it has finished).
 */
export function stallGuard(ms: number, signal?: AbortSignal): { signal: AbortSignal; touch(): void; stop(): void; cancel(): void } {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new DOMException(`no progress for ${ms} ms`, 'TimeoutError')), ms);
  };
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  const stop = () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  arm();
  return {
    signal: controller.signal,
    touch: () => {
      if (!controller.signal.aborted) arm();
    },
    stop,
    cancel: () => {
      stop();
      controller.abort(new DOMException('the download was not read', 'AbortError'));
    },
  };
}
