import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, it } from 'vitest';
import { createTestDatabase, freePort } from '@plyr/testing';
import { removeTempDirs, startServer, tempDir, waitForHealth } from './server-process.js';

afterAll(removeTempDirs);

// Each test has its own port, database and DATA_DIR, and mostly waits on its server: they run side by side.
describe.concurrent('the process', () => {
  it('finishes a request in flight when SIGTERM arrives, then exits 0', async ({ expect }) => {
    const database = await createTestDatabase();
    const port = await freePort();
    const server = startServer({ PORT: String(port), DATABASE_URL: database.url, DATA_DIR: tempDir(), RATE_LIMIT_ENABLED: 'false' });
    try {
      await waitForHealth(`http://127.0.0.1:${port}`, 60_000);
      const body = JSON.stringify({ exchangeToken: 'not-a-real-token', mode: 'token' });
      // Send the headers and part of the body, signal, and once the server has taken the signal the
      // rest: the request is in flight throughout.
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/trpc/auth.exchange',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      const response = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
      });
      req.flushHeaders();
      await new Promise<void>((resolve, reject) => req.write(body.slice(0, 10), (err) => (err ? reject(err) : resolve())));
      server.child.kill('SIGTERM');
      await expect.poll(() => server.output().includes('shutting down'), { timeout: 10_000, interval: 20 }).toBe(true);
      req.end(body.slice(10));
      expect(await response).toBe(401);
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
      await database.drop();
    }
  });

  it('on SIGTERM reports not ready at once and keeps serving new requests through the drain, then exits 0', { timeout: 240_000 }, async ({ expect }) => {
    const database = await createTestDatabase();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = startServer({ PORT: String(port), DATABASE_URL: database.url, DATA_DIR: tempDir(), SHUTDOWN_DRAIN_SECONDS: '4' });
    try {
      await waitForHealth(url, 150_000);
      expect((await fetch(`${url}/ready`)).status).toBe(200);
      server.child.kill('SIGTERM');
      await expect.poll(async () => (await fetch(`${url}/ready`)).status, { timeout: 10_000, interval: 50 }).toBe(503);
      expect(await (await fetch(`${url}/ready`)).json()).toMatchObject({ status: 'draining' });
      // A request that arrives during the drain is answered, and its connection closed behind it.
      const list = await fetch(`${url}/trpc/tracks.list?input=${encodeURIComponent('{"limit":5}')}`);
      expect(list.status).toBe(200);
      expect(list.headers.get('connection')).toBe('close');
      expect(server.child.exitCode).toBeNull();
      expect(await server.exited).toBe(0);
      expect(server.output()).toMatch(/drained: closing the listener/);
    } finally {
      server.child.kill('SIGKILL');
      await database.drop();
    }
  });

  it('starts with no environment on embedded services, and keeps its data across a restart', async ({ expect }) => {
    const dataDir = tempDir();
    const port = await freePort();
    const env = { PORT: String(port), DATA_DIR: dataDir };
    const first = startServer(env);
    let firstStartMs: number;
    try {
      firstStartMs = await waitForHealth(`http://127.0.0.1:${port}`, 60_000);
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
      const dbPort = readFileSync(join(dataDir, 'postgres', 'port'), 'utf8');
      const sql = postgres(`postgres://plyr:plyr@127.0.0.1:${dbPort}/plyr`, { max: 1 });
      await sql`insert into users (did, handle) values ('did:plc:persisted', 'kept.test')`;
      await sql.end();
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/embedded PostgreSQL/);
    // How long it took is reported, not judged: under load it says nothing about the code.
    console.log(`first start on an empty DATA_DIR: ${firstStartMs} ms`);

    const second = startServer(env);
    try {
      await waitForHealth(`http://127.0.0.1:${port}`, 60_000);
      const dbPort = readFileSync(join(dataDir, 'postgres', 'port'), 'utf8');
      const sql = postgres(`postgres://plyr:plyr@127.0.0.1:${dbPort}/plyr`, { max: 1 });
      const rows = await sql`select handle from users where did = 'did:plc:persisted'`;
      await sql.end();
      expect(rows).toEqual([{ handle: 'kept.test' }]);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
