import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** HTTP calls for the reliability and security tests: every one bounded, raw answers kept for inspection. */

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
  /** Wall time from sending to the end of the body. */
  ms: number;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  timeoutMs?: number;
}

export async function http(url: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const started = performance.now();
  const res = await fetch(url, {
    method: options.method ?? 'GET',
    headers: options.headers,
    body: options.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json, ms: performance.now() - started };
}

/** A tRPC query over GET, `input` JSON-encoded in the query string (omitted when undefined). */
export function trpcQuery(baseUrl: string, path: string, input?: unknown, headers: Record<string, string> = {}, timeoutMs?: number) {
  const qs = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return http(`${baseUrl}/trpc/${path}${qs}`, { headers, timeoutMs });
}

/** A tRPC mutation over POST with a JSON body (none when undefined). */
export function trpcMutation(baseUrl: string, path: string, input?: unknown, headers: Record<string, string> = {}, timeoutMs?: number) {
  return http(`${baseUrl}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: input === undefined ? undefined : JSON.stringify(input),
    timeoutMs,
  });
}

/** The tRPC error code of an answer (`BAD_REQUEST`, …), or undefined on success. */
export function trpcCode(answer: HttpAnswer): string | undefined {
  return answer.json?.error?.data?.code;
}

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A request whose path goes on the wire exactly as given (fetch and URL would resolve `..` and
 * re-encode), for traversal and encoding probes.
 */
export function rawRequest(baseUrl: string, rawPath: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname === 'localhost' ? '127.0.0.1' : hostname, port: Number(port), path: rawPath, method: options.method ?? 'GET', headers: options.headers, agent: false, timeout: 10_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${rawPath.slice(0, 80)} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
