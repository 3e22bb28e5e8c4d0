import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTcpProxy, type TcpProxy } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';

describe('/health and /ready', () => {
  let app: TestApp;
  let pgProxy: TcpProxy;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    const url = new URL(database.url);
    pgProxy = await startTcpProxy(Number(url.port || 5432));
    url.port = String(pgProxy.port);
    app = await startTestApp({}, { databaseUrl: url.toString() });
  });
  afterAll(async () => {
    await app.close();
    await pgProxy.close();
    await drop();
  });

  it('answers 200 when Postgres, Redis and storage answer', async () => {
    const res = await fetch(`${app.url}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', checks: { postgres: 'ok', redis: 'ok', storage: 'ok' } });
  });

  it('answers 503 naming Postgres while it is unreachable, fast, and recovers without a restart', async () => {
    await pgProxy.stop();
    const started = Date.now();
    const down = await fetch(`${app.url}/ready`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'unavailable', failed: ['postgres'] });
    // The process itself is alive.
    expect((await fetch(`${app.url}/health`)).status).toBe(200);

    await pgProxy.start();
    await expect.poll(async () => (await fetch(`${app.url}/ready`)).status, { timeout: 10_000, interval: 250 }).toBe(200);
  });
});
