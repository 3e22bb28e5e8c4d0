import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_SIZE, MAX_BODY_BYTES } from '@plyr/api';
import { startTestApp, type TestApp } from '../support/index.js';
import { http, trpcCode } from '../reliability/support/http.js';
import { listProcedures } from '../reliability/support/procedures.js';
import { createAppSession } from '@plyr/core/auth';
import { seedMember, type Member } from '../reliability/support/seed.js';

/** What `/trpc` accepts as a request at all: body size, batch size, JSON, content type. */

const procedures = listProcedures();
const mutations = procedures.filter((p) => p.type === 'mutation');
const queriesWithInput = procedures.filter((p) => p.type === 'query' && p.hasInput);
const mutationsWithInput = mutations.filter((p) => p.hasInput);

let app: TestApp;
let member: Member;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_ENABLED: 'false' });
  member = await seedMember(app.services, 'sender');
});
afterAll(() => app?.close());

/** The member's bearer header, or a fresh session's for auth.logout (which ends the one it is called with). */
async function bearerFor(path: string): Promise<Record<string, string>> {
  if (path !== 'auth.logout') return member.bearer;
  return { authorization: `Bearer ${(await createAppSession(app.services.db, member.did)).token}` };
}

/** A JSON body just over the cap, valid JSON, shaped like the procedure's input. */
const oversized = (field: string) => JSON.stringify({ [field]: 'x'.repeat(MAX_BODY_BYTES + 10) });

/** POSTs `total` bytes in chunks with no Content-Length (chunked), resolving on the first response. */
function postChunked(path: string, total: number, headers: Record<string, string>): Promise<number> {
  const { port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: Number(port), path, method: 'POST', agent: false, timeout: 15_000, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    // The server may answer and hang up before the whole body is sent: that is the point.
    req.on('error', (err) => (req.writableEnded ? undefined : reject(err)));
    req.on('timeout', () => req.destroy(new Error('chunked POST timed out')));
    const chunk = Buffer.alloc(64 * 1024, 'x');
    req.write('{"name":"');
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end('"}');
    };
    pump();
  });
}

describe('bodies over 1 MB', () => {
  it.each(mutations.map((m) => [m.path, m] as const))('%s → 413 PAYLOAD_TOO_LARGE (signed out: 401 or 413, never accepted)', async (_path, m) => {
    const send = (headers: Record<string, string>) =>
      http(`${app.url}/trpc/${m.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: oversized(m.fields[0] ?? 'x'),
      });
    const signedIn = await send(await bearerFor(m.path));
    expect(signedIn.status).toBe(413);
    expect(trpcCode(signedIn)).toBe('PAYLOAD_TOO_LARGE');
    // Refusing a signed-out caller first is as good: the body is not processed either way.
    expect([401, 413]).toContain((await send({})).status);
  });

  it('→ 413 also when the body is chunked with no Content-Length, and the server stays up', async () => {
    const path = `/trpc/${mutations[0]!.path}`;
    expect(await postChunked(path, 4 * MAX_BODY_BYTES, member.bearer)).toBe(413);
    expect((await http(`${app.url}/health`)).status).toBe(200);
  });

  it('a body just under the cap is read (the refusal is the size, not the shape)', async () => {
    const res = await http(`${app.url}/trpc/auth.exchange`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ exchangeToken: 'x'.repeat(MAX_BODY_BYTES - 100), mode: 'token' }),
    });
    expect(res.status).toBe(400);
    expect(trpcCode(res)).toBe('BAD_REQUEST');
  });
});

describe('batches', () => {
  const batchPath = (names: string[]) => `${app.url}/trpc/${names.join(',')}?batch=1`;
  const inputs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), {}]));

  it(`over the cap of ${MAX_BATCH_SIZE} → 400 before anything runs, as GET and as POST`, async () => {
    const names = Array.from({ length: MAX_BATCH_SIZE + 1 }, () => 'auth.me');
    const get = await http(`${batchPath(names)}&input=${encodeURIComponent(JSON.stringify(inputs(names.length)))}`, { headers: member.bearer });
    expect(get.status).toBe(400);
    const logoutNames = Array.from({ length: MAX_BATCH_SIZE + 1 }, () => 'auth.logout');
    const post = await http(batchPath(logoutNames), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...member.bearer },
      body: JSON.stringify(inputs(logoutNames.length)),
    });
    expect(post.status).toBe(400);
    // Nothing in the refused batch ran: the session the logouts would have ended still works.
    expect((await http(`${app.url}/trpc/auth.me`, { headers: member.bearer })).status).toBe(200);
  });

  it('far over the cap (1,000 calls) → 4xx, never 5xx', async () => {
    const names = Array.from({ length: 1_000 }, () => 'tracks.list');
    const res = await http(`${batchPath(names)}&input=${encodeURIComponent('{}')}`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('at the cap → served, each call answered', async () => {
    const names = Array.from({ length: MAX_BATCH_SIZE }, () => 'auth.me');
    const res = await http(`${batchPath(names)}&input=${encodeURIComponent(JSON.stringify(inputs(names.length)))}`, { headers: member.bearer });
    expect(res.status).toBe(200);
    expect(res.json).toHaveLength(MAX_BATCH_SIZE);
    expect(res.json[0].result.data.did).toBe(member.did);
  });
});

describe('malformed requests', () => {
  const broken = ['{"a":', '{', '[1,2', '{"a":1}}', '\u0000', 'undefined', "{'a':1}", '{"a":01}', '\ufeff{"a":1'];

  it.each(mutationsWithInput.map((m) => [m.path] as const))('%s with malformed JSON → 400', async (path) => {
    for (const body of broken) {
      const res = await http(`${app.url}/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...member.bearer }, body });
      expect(res.status, `body ${JSON.stringify(body)}`).toBe(400);
      // tRPC 11 names a body that is not JSON BAD_REQUEST (older versions said PARSE_ERROR).
      expect(['BAD_REQUEST', 'PARSE_ERROR']).toContain(trpcCode(res));
    }
  });

  it.each(queriesWithInput.map((q) => [q.path] as const))('%s with a malformed ?input= → 400', async (path) => {
    for (const text of broken) {
      const res = await http(`${app.url}/trpc/${path}?input=${encodeURIComponent(text)}`, { headers: member.bearer });
      expect(res.status, `input ${JSON.stringify(text)}`).toBe(400);
    }
    // A query string that is not even URI-decodable.
    expect((await http(`${app.url}/trpc/${path}?input=%E0%A4%A`, { headers: member.bearer })).status).toBe(400);
  });

  it('a batch with malformed JSON → 400', async () => {
    const path = mutationsWithInput[0]!.path;
    const res = await http(`${app.url}/trpc/${path},${path}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...member.bearer },
      body: '{"0":{},"1":',
    });
    expect(res.status).toBe(400);
  });

  it('bodies that are not JSON at all → 4xx, never 5xx', async () => {
    const path = `${app.url}/trpc/${mutations[0]!.path}`;
    const cases: Array<[string, string]> = [
      ['text/plain', 'hello'],
      ['application/x-www-form-urlencoded', 'a=1&b=2'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--'],
      ['application/octet-stream', '\u0000\u0001\u0002'],
      ['application/json; charset=utf-16', '{"a":1}'],
    ];
    for (const [type, body] of cases) {
      const res = await http(path, { method: 'POST', headers: { 'content-type': type, ...member.bearer }, body });
      expect(res.status, type).toBeGreaterThanOrEqual(400);
      expect(res.status, type).toBeLessThan(500);
    }
  });
});
