/** Calls to the API under test as a browser or SDK makes them (plain HTTP, no client library). */

export interface CallResult {
  status: number;
  body: any;
  setCookies: string[];
  headers: Headers;
}

/** GET for queries, POST (JSON body) for mutations, as tRPC's HTTP link sends them without batching. */
export async function trpc(
  baseUrl: string,
  path: string,
  options: { input?: unknown; headers?: Record<string, string>; mutation?: boolean } = {},
): Promise<CallResult> {
  const mutation = options.mutation ?? false;
  const url = mutation || options.input === undefined
    ? `${baseUrl}/trpc/${path}`
    : `${baseUrl}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(options.input))}`;
  const res = await fetch(url, {
    method: mutation ? 'POST' : 'GET',
    headers: { ...(mutation ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: mutation ? JSON.stringify(options.input ?? null) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, body: await res.json(), setCookies: res.headers.getSetCookie(), headers: res.headers };
}

/** `Set-Cookie` split into its value and attributes (names lower-cased). */
export function parseSetCookie(header: string): { name: string; value: string; attributes: Map<string, string> } {
  const [pair = '', ...rest] = header.split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const a of rest) {
    const i = a.indexOf('=');
    attributes.set((i < 0 ? a : a.slice(0, i)).toLowerCase(), i < 0 ? '' : a.slice(i + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}
