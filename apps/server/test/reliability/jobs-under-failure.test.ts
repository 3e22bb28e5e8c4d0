import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, loadEnv, type AppContext } from '../../src/index.js';
import { PostgresSessionStore } from '@plyr/core/auth';
import { createStorage } from '@plyr/core/storage';
import { createTestDatabase, queuedJobs, startTestS3, storageEnv, type QueuedJob } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs, type SignedInUser } from '@plyr/testing/atproto/login';
import { OwnRedis } from '../rate-limit/client.js';
import { mp3Bytes, readTrackRecord, recordKeyOf, uploadTrack, type Track } from '../tracks/helpers.js';
import { spawnTs, supportFile } from './support/child.js';
import { eventually, http, trpcMutation } from './support/http.js';
import { pdsSwitch, type PdsSwitch } from './support/pds-switch.js';

/**
 * The move job against failures it cannot prevent: its worker process killed in the middle of a
 * move, and the artist's PDS down while the record is rewritten (also when the OAuth token must be
 * refreshed then). Afterwards there is exactly one intact copy in the right bucket, and the
 * database and the record on the PDS agree.
 */

let network: LocalAtprotoNetwork;
let pds: PdsSwitch;
let s3: Awaited<ReturnType<typeof startTestS3>>;
let app: TestApp;
let artist: SignedInUser;
let dropDatabase: () => Promise<void>;
let redis: OwnRedis;
/** The environment every process of this "deployment" runs with: API, killed worker, restarted worker. */
let deploymentEnv: Record<string, string>;
const dataDirs: string[] = [];

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  pds = pdsSwitch(network);
  s3 = await startTestS3();
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  // A redis-server of its own, so no other run's jobs or flushes meet this queue.
  redis = await OwnRedis.start();
  const redisUrl = redis.url;
  const s3Env = storageEnv(s3.config);
  const env = { ...network.env, RATE_LIMIT_ENABLED: 'false', LOG_LEVEL: 'warn' };
  app = await startTestApp(env, { databaseUrl: database.url, redisUrl, s3Env, runWorker: false });
  deploymentEnv = {
    ...env,
    ...s3Env,
    APP_ENV: 'development',
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    PUBLIC_URL: app.ctx.env.publicUrl,
    SESSION_ENCRYPTION_KEY: app.services.config.sessionEncryptionKey.toString('base64'),
    ATPROTOFANS_URL: 'http://127.0.0.1:1',
  };
  const account = await network.createAccount('crash-artist');
  artist = await loginAs(app, account.handle, account.password);
});

afterAll(async () => {
  await pds?.up().catch(() => {});
  await app?.close();
  await dropDatabase?.();
  await redis?.stop();
  await s3?.close();
  await network?.close();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** The product's worker, as `pnpm worker` starts it (in this process, to keep the test light); its log lines kept. */
async function startWorker(): Promise<AppContext & { logs: string[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'plyr-worker-'));
  dataDirs.push(dataDir);
  const logs: string[] = [];
  const logDestination = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const ctx = await createAppContext(loadEnv({ ...deploymentEnv, DATA_DIR: dataDir }), { runWorker: true, logDestination });
  return Object.assign(ctx, { logs });
}

const rowOf = (id: string) => app.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, id) });

/** The audio of a track in each bucket, read from the storage directly: bytes or null. */
async function copies(track: Pick<Track, 'fileId' | 'fileType'>): Promise<{ public: Buffer | null; private: Buffer | null }> {
  const storage = createStorage(s3.config);
  const key = storage.audioKey(track.fileId, track.fileType);
  const read = async (bucket: 'public' | 'private') => {
    const head = await storage.head(bucket, key);
    return head ? Buffer.from(await storage.readRange(bucket, key, 0, head.size - 1)) : null;
  };
  try {
    return { public: await read('public'), private: await read('private') };
  } finally {
    storage.destroy();
  }
}

/** Database and PDS agree: the row is settled, and the record says what the row says (createdAt kept). */
async function expectRecordAgrees(track: Track, originalCreatedAt: unknown): Promise<void> {
  const row = await rowOf(track.id);
  expect(row).toMatchObject({ moving: false, bucket: row!.supportGate ? 'private' : 'public' });
  expect(row!.recordCid).not.toBeNull();
  const rkey = await recordKeyOf(app, track.id);
  const record = await readTrackRecord(network.pdsUrl, artist.did, rkey);
  const expectedUrl = row!.supportGate ? `${app.ctx.env.publicUrl}/audio/${track.fileId}` : app.services.storage.cdnUrl(track.fileId, track.fileType);
  expect(record).toMatchObject({ title: row!.title, audioUrl: expectedUrl, createdAt: originalCreatedAt });
  expect(record!.supportGate).toEqual(row!.supportGate ? { type: 'any' } : undefined);
  // The cid the database holds is the cid of the record on the PDS now.
  const res = await fetch(`${network.pdsUrl}/xrpc/com.atproto.repo.getRecord?repo=${artist.did}&collection=fm.plyr.track&rkey=${rkey}`);
  expect(((await res.json()) as { cid: string }).cid).toBe(row!.recordCid);
}

/** The jobs still locked by a worker: a killed one leaves its moves locked until a live worker frees them. */
async function lockedMoveJobs(): Promise<QueuedJob[]> {
  return (await queuedJobs(app.services.db)).filter((j) => j.task === 'track-move' && j.lockedBy !== null);
}

describe('worker killed in the middle of a move', () => {
  const STEPS = ['afterCopy', 'beforeDeleteSource', 'beforeRecordWrite'] as const;

  it('after a restart each move completes: one intact copy in the right bucket, the record right, playable throughout', async () => {
    const uploads = await Promise.all(
      STEPS.map(async (step) => {
        const bytes = mp3Bytes(6_000);
        const track = await uploadTrack(app, artist, { title: `Killed at ${step}`, bytes });
        const record = await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id));
        return { step, track, bytes, createdAt: record!.createdAt };
      }),
    );
    const worker = spawnTs(supportFile('stalling-worker.ts'), {
      ...deploymentEnv,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'plyr-stalling-')),
      STALL_PLAN: uploads.map((u) => `${u.track.id}=${u.step}`).join(','),
    });
    try {
      await worker.waitForLine(/^ready$/);
      for (const { track } of uploads) {
        expect((await trpcMutation(app.url, 'tracks.update', { id: track.id, supportGate: { type: 'any' } }, artist.headers)).status).toBe(200);
      }
      for (const { step, track } of uploads) await worker.waitForLine(new RegExp(`^at ${step} ${track.id}$`));
    } finally {
      await worker.kill();
    }

    // Dead mid-move: the audio is where the row says, intact, and still plays for the artist.
    const midState = await Promise.all(uploads.map(async (u) => ({ ...u, row: await rowOf(u.track.id), copies: await copies(u.track) })));
    for (const { step, row, copies: c, bytes, track } of midState) {
      expect(c[row!.bucket as 'public' | 'private'], `${step}: the row's bucket holds the audio`).toEqual(bytes);
      const play = await http(`${app.url}/audio/${track.fileId}`, { headers: artist.headers });
      expect(play.status, step).toBe(307);
      expect((await fetch(play.headers.get('location')!)).status, `${step}: the redirect serves`).toBe(200);
    }
    expect(midState.find((m) => m.step === 'afterCopy')!.copies).toMatchObject({ public: expect.any(Buffer), private: expect.any(Buffer) });

    // The dead worker's moves are still locked by it; the restarted worker sees it is gone and frees them.
    expect((await lockedMoveJobs()).length).toBe(STEPS.length);
    const restarted = await startWorker();
    try {
      for (const { step, track, bytes, createdAt } of uploads) {
        await eventually(`${step}: the move completes after the restart`, async () => {
          const row = await rowOf(track.id);
          return row!.moving === false && row!.recordCid !== null;
        }, 30_000, 200);
        expect(await copies(track), step).toEqual({ public: null, private: bytes });
        await expectRecordAgrees(track, createdAt);
      }
    } finally {
      await restarted.destroy();
    }
  });
});

/** Attempts of the track's move job that the worker logged as failed (it retries them). */
function failedAttempts(worker: { logs: string[] }, trackId: string): number {
  const records = worker.logs.flatMap((chunk) => chunk.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg?: string; key?: string }));
  return records.filter((r) => r.msg === 'job attempt failed; retrying' && r.key === `track-sync:${trackId}`).length;
}

describe('PDS down during the record rewrite', () => {
  it('the job retries until the PDS answers; then the database and the record agree', async () => {
    const track = await uploadTrack(app, artist, { title: 'Rewritten through an outage' });
    const createdAt = (await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id)))!.createdAt;
    const worker = await startWorker();
    try {
      await pds.down();
      expect((await trpcMutation(app.url, 'tracks.update', { id: track.id, supportGate: { type: 'any' } }, artist.headers)).status).toBe(200);
      // The audio moves (no PDS needed); the record cannot be written: the row says it is pending.
      await eventually('the audio moved', async () => (await rowOf(track.id))!.moving === false, 15_000, 200);
      await expect.poll(() => failedAttempts(worker, track.id), { timeout: 15_000, interval: 50 }).toBeGreaterThan(0);
      expect((await rowOf(track.id))!.recordCid).toBeNull();
      // Access follows the row throughout.
      expect((await http(`${app.url}/audio/${track.fileId}`)).status).toBe(401);

      await pds.up();
      await eventually('the record is rewritten', async () => (await rowOf(track.id))!.recordCid !== null, 20_000, 200);
      await expectRecordAgrees(track, createdAt);
      expect(worker.logs.filter((l) => l.includes('job attempt failed; retrying')).length).toBeGreaterThan(0);
    } finally {
      await pds.up();
      await worker.destroy();
    }
  });

  it('also when the OAuth token must be refreshed during the outage: the grant is kept and the rewrite lands', async () => {
    const track = await uploadTrack(app, artist, { title: 'Refreshed through an outage', supportGate: { type: 'any' } });
    const createdAt = (await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id)))!.createdAt;
    // The stored access token has expired: the next write must refresh it first, at the PDS.
    const store = new PostgresSessionStore(app.services.db, app.services.config.sessionEncryptionKey);
    const saved = (await store.get(artist.did))!;
    await store.set(artist.did, { ...saved, tokenSet: { ...saved.tokenSet, expires_at: new Date(Date.now() - 60_000).toISOString() } });

    const worker = await startWorker();
    try {
      await pds.down();
      expect((await trpcMutation(app.url, 'tracks.update', { id: track.id, supportGate: null }, artist.headers)).status).toBe(200);
      await eventually('the audio moved', async () => (await rowOf(track.id))!.moving === false, 15_000, 200);
      await expect.poll(() => failedAttempts(worker, track.id), { timeout: 15_000, interval: 50 }).toBeGreaterThan(0);
      expect(await store.get(artist.did), 'the OAuth grant survives a failed refresh').toBeDefined();

      await pds.up();
      await eventually('the record is rewritten', async () => (await rowOf(track.id))!.recordCid !== null, 20_000, 200);
      await expectRecordAgrees(track, createdAt);
      expect((await copies(track)).private).toBeNull();
    } finally {
      await pds.up();
      await worker.destroy();
    }
  });
});
