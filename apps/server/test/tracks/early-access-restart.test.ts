import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '@plyr/db';
import { createStorage, type Storage } from '@plyr/core/storage/index';
import {
  createTestDatabase,
  createTestRedisUrl,
  freePort,
  queuedJobs,
  startFakeAtprotofans,
  startTestS3,
  storageEnv,
  type FakeAtprotofans,
} from '@plyr/testing';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs } from '@plyr/testing/atproto/login';
import { spawnTs, type ChildHandle } from '../reliability/support/child.js';
import { mutate, ok, readTrackRecord, uploadTrack, type Caller, type Track } from './helpers.js';

/**
 * A release survives every process: the API and the worker that scheduled it are killed (SIGKILL)
 * before publicAt, fresh ones start, and the track still turns public at the instant (by the
 * clock) and is released by the job the new worker finds in the queue.
 */

const SRC = join(import.meta.dirname, '..', '..', 'src');
/** Far enough ahead that both processes are gone well before the instant. */
const RELEASE_IN_MS = 10_000;

let network: LocalAtprotoNetwork;
let fans: FakeAtprotofans;
let s3: Awaited<ReturnType<typeof startTestS3>>;
let storage: Storage;
let db: DbHandle;
let env: Record<string, string>;
let api: { url: string };
const children: ChildHandle[] = [];
const cleanups: Array<() => Promise<unknown> | unknown> = [];

function startProcesses(): Promise<[ChildHandle, ChildHandle]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'plyr-release-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const apiProcess = spawnTs(join(SRC, 'main.ts'), { ...env, DATA_DIR: dataDir });
  const workerProcess = spawnTs(join(SRC, 'worker.ts'), { ...env, DATA_DIR: dataDir });
  children.push(apiProcess, workerProcess);
  return Promise.all([
    apiProcess.waitForLine(/plyr API listening/, 120_000).then(() => apiProcess),
    workerProcess.waitForLine(/plyr worker running/, 120_000).then(() => workerProcess),
  ]);
}

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  fans = await startFakeAtprotofans();
  s3 = await startTestS3();
  storage = createStorage(s3.config);
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const port = await freePort();
  api = { url: `http://localhost:${port}` };
  env = {
    ...network.env,
    APP_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: api.url,
    DATABASE_URL: database.url,
    REDIS_URL: await createTestRedisUrl(),
    ...storageEnv(s3.config),
    SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ATPROTOFANS_URL: fans.url,
    WORKER_ENABLED: 'false',
    RATE_LIMIT_ENABLED: 'false',
    LOG_LEVEL: 'info',
  };
  db = await createDb({ url: database.url, max: 2, runMigrations: false });
  await startProcesses();
}, 180_000);

afterAll(async () => {
  await Promise.all(children.map((c) => c.kill()));
  await db?.close();
  storage?.destroy();
  await s3?.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
  await fans?.close();
  await network?.close();
});

const audioStatus = async (fileId: string, who: Caller) =>
  (await fetch(`${api.url}/audio/${fileId}`, { redirect: 'manual', headers: who.headers })).status;
const row = (id: string) => db.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, id) });

describe('every API and worker process restarted between scheduling and publicAt', () => {
  it('still turns public at the instant without a supporter check, and the new worker releases it', { timeout: 300_000 }, async () => {
    const [a, e, l] = await Promise.all(['restartartist', 'restartearly', 'restartlate'].map((n) => network.createAccount(n)));
    const artist = await loginAs(api, a!.handle, a!.password);
    const early = await loginAs(api, e!.handle, e!.password);
    const late = await loginAs(api, l!.handle, l!.password);
    const track = await uploadTrack(api, artist, { title: 'Survives Restarts', supportGate: { type: 'any' } });

    const publicAt = new Date(Date.now() + RELEASE_IN_MS).toISOString();
    ok(await mutate<Track>(api, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any', publicAt } }));
    expect(await audioStatus(track.fileId, early)).toBe(402);
    const asked = fans.requests;

    await Promise.all(children.splice(0).map((c) => c.kill()));
    const killedAt = Date.now();
    const release = (await queuedJobs(db.db)).filter((j) => j.key === `track-release:${track.id}`);
    expect(release.map((j) => j.runAt.toISOString())).toEqual([publicAt]);

    await startProcesses();
    console.log(
      `early access restart: processes killed ${Date.parse(publicAt) - killedAt} ms before publicAt, back ${Date.now() - Date.parse(publicAt)} ms after it`,
    );
    await expect.poll(() => audioStatus(track.fileId, late), { timeout: 60_000, interval: 100 }).toBe(307);
    expect(fans.requests).toBe(asked);

    await expect.poll(async () => (await row(track.id))?.moving === false && (await row(track.id))?.supportGate === null, { timeout: 60_000 }).toBe(true);
    const released = (await row(track.id))!;
    expect(released.bucket).toBe('public');
    expect(released.updatedAt.getTime()).toBeGreaterThanOrEqual(Date.parse(publicAt));
    const key = storage.audioKey(track.fileId, track.fileType);
    expect(await storage.head('public', key)).not.toBeNull();
    expect(await storage.head('private', key)).toBeNull();
    const rkey = released.recordUri!.split('/').pop()!;
    await expect
      .poll(() => readTrackRecord(network.pdsUrl, artist.did, rkey), { timeout: 60_000 })
      .toMatchObject({ audioUrl: storage.cdnUrl(track.fileId, track.fileType) });
    expect(await readTrackRecord(network.pdsUrl, artist.did, rkey)).not.toHaveProperty('supportGate');
    expect(fans.requests).toBe(asked);
  });
});
