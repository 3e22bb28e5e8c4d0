import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '@plyr/db';
import { createStorage, type Storage } from '@plyr/core/storage';
import { createTestDatabase, freePort, queuedJobs, startTestS3, storageEnv } from '@plyr/testing';
import { spawnServer, type ChildHandle } from './support/child.js';
import { eventually, trpcMutation } from './support/http.js';
import { seedMember, seedTrack } from './support/seed.js';

/**
 * The job of a gate change is a row committed with the change: the API process that made it is
 * killed (SIGKILL) right after the commit, before any worker ran it, and after a restart the move
 * still happens. Once against a shared PostgreSQL, once on the embedded one (no DATABASE_URL).
 */

let s3: Awaited<ReturnType<typeof startTestS3>>;
let storage: Storage;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  s3 = await startTestS3();
  storage = createStorage(s3.config);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  storage?.destroy();
  await s3?.close();
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plyr-durable-'));
  // The embedded PostgreSQL runs as its own system user when we are root; it must reach the folder.
  chmodSync(dir, 0o755);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A killed host's DATA_DIR lock goes stale 10 s after its last refresh; until then a start is refused, and tried again. */
async function startAfterStaleLock(env: Record<string, string>): Promise<ChildHandle> {
  for (;;) {
    try {
      return await startApi(env);
    } catch (err) {
      if (!/in use by another plyr process/.test(String(err))) throw err;
    }
  }
}

async function startApi(env: Record<string, string>): Promise<ChildHandle> {
  const api = spawnServer('main', env);
  // SIGTERM, so that an embedded PostgreSQL is shut down by its host rather than orphaned; the API
  // exits by itself within its shutdown deadline, so the exit is awaited, not raced with a timer.
  cleanups.push(async () => {
    if (api.process.exitCode !== null || api.process.signalCode !== null) return;
    const exited = once(api.process, 'exit');
    api.process.kill('SIGTERM');
    await exited;
  });
  await api.waitForLine(/plyr API listening/, 120_000);
  return api;
}

const modes = [
  ['a shared PostgreSQL (DATABASE_URL)', true],
  ['the embedded PostgreSQL', false],
] as const;

describe.each(modes)('API killed right after committing a gate change, on %s', (_name, shared) => {
  it('the move still runs after the restart: one copy, in the private bucket', { timeout: 300_000 }, async () => {
    const port = await freePort();
    const env: Record<string, string> = {
      APP_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir(),
      ...storageEnv(s3.config),
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: 'info',
      ATPROTOFANS_URL: 'http://127.0.0.1:1',
      // No balancer to drain for: a stopped process closes at once.
      SHUTDOWN_DRAIN_SECONDS: '0',
    };
    if (shared) {
      const database = await createTestDatabase();
      cleanups.push(() => database.drop());
      env.DATABASE_URL = database.url;
    }
    // This first process only enqueues: nothing can run the job before it dies.
    const first = await startApi({ ...env, WORKER_ENABLED: 'false' });
    const url = env.DATABASE_URL ?? `postgres://plyr:plyr@127.0.0.1:${readFileSync(join(env.DATA_DIR!, 'postgres', 'port'), 'utf8')}/plyr`;
    const db: DbHandle = await createDb({ url, max: 2, runMigrations: false });
    cleanups.push(() => db.close());
    const services = { db: db.db, storage };
    const artist = await seedMember(services, 'durable-artist');
    const track = await seedTrack(services, artist, { gated: false });
    const key = storage.audioKey(track.fileId, track.fileType);

    const answer = await trpcMutation(`http://127.0.0.1:${port}`, 'tracks.update', { id: track.id, supportGate: { type: 'any' } }, artist.bearer);
    expect(answer.status, answer.text).toBe(200);
    await first.kill();

    // Committed with the change: the row says moving, and its job is queued.
    const row = () => db.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, track.id) });
    expect(await row()).toMatchObject({ moving: true, bucket: 'public' });
    expect((await queuedJobs(db.db)).map((j) => j.key)).toContain(`track-sync:${track.id}`);
    expect(await storage.head('private', key)).toBeNull();

    await startAfterStaleLock(env);
    await eventually('the move ran after the restart', async () => (await row())?.moving === false, 60_000, 200);
    expect(await row()).toMatchObject({ bucket: 'private', supportGate: { type: 'any' } });
    expect(await storage.head('private', key)).not.toBeNull();
    expect(await storage.head('public', key)).toBeNull();
  });
});
