import type { LoadRequest } from './load/job.js';

export interface Expectation {
  status: number;
  /** The Location header must satisfy this. */
  location?: (location: string) => boolean;
  /** Checks a JSON body; returns what is wrong, or null. */
  body?: (json: unknown) => string | null;
}

/**
 * Sends one request before a scenario's load and checks the answer is the right one, not just the
 * right status: a scenario that measured the wrong answer fast would be worse than none.
 * Returns what is wrong, or null.
 */
export async function probe(baseUrl: string, request: LoadRequest, expect: Expectation): Promise<string | null> {
  const res = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: request.headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const what = `${request.method} ${request.path.slice(0, 80)}`;
  if (res.status !== expect.status) return `${what}: expected ${expect.status}, got ${res.status} ${text.slice(0, 200)}`;
  const location = res.headers.get('location');
  if (expect.location && !(location && expect.location(location))) return `${what}: unexpected Location ${location}`;
  if (expect.body) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return `${what}: body is not JSON: ${text.slice(0, 200)}`;
    }
    const wrong = expect.body(json);
    if (wrong) return `${what}: ${wrong}`;
  }
  return null;
}
