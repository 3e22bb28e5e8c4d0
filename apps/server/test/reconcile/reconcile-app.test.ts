import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReconcile } from '@plyr/core/reconcile';
import { startTestS3, storageEnv } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { serverEntry } from '../support/server-build.js';
import { seedMember, seedTrack, type Member, type SeededTrack } from '../reliability/support/seed.js';

/** What an artist and a listener see of a track whose audio is lost, and `pnpm reconcile` as its own process. */

const CLI = serverEntry('reconcile-cli');

let app: TestApp;
let s3: Awaited<ReturnType<typeof startTestS3>>;
let artist: Member;
let lost: SeededTrack;
/** A second app with the worker on a one-minute RECONCILE_SCHEDULE, and the leak its tick must repair. */
let scheduled: { app: TestApp; s3: Awaited<ReturnType<typeof startTestS3>>; leakedKey: string };

beforeAll(async () => {
  // Started first, so the wait for its next minute's tick overlaps the other tests.
  const scheduledS3 = await startTestS3();
  const scheduledApp = await startTestApp({ RECONCILE_SCHEDULE: '* * * * *' }, { s3Env: storageEnv(scheduledS3.config), runWorker: true });
  const owner = await seedMember(scheduledApp.services, 'scheduled-artist');
  const leaked = await seedTrack(scheduledApp.services, owner, { gated: true });
  const leakedKey = scheduledApp.services.storage.audioKey(leaked.fileId, leaked.fileType);
  await scheduledApp.services.storage.copy({ bucket: 'private', key: leakedKey }, { bucket: 'public', key: leakedKey });
  scheduled = { app: scheduledApp, s3: scheduledS3, leakedKey };

  s3 = await startTestS3();
  app = await startTestApp({}, { s3Env: storageEnv(s3.config) });
  artist = await seedMember(app.services, 'reconcile-artist');
  lost = await seedTrack(app.services, artist, { gated: false });
  await app.services.storage.delete('public', app.services.storage.audioKey(lost.fileId, lost.fileType));
});

afterAll(async () => {
  await scheduled?.app.close();
  await scheduled?.s3.close();
  await app?.close();
  await s3?.close();
});

/**
 * `pnpm reconcile` as its own process on the app's database, Redis and storage. Asynchronous: the
 * storage server runs in this process and must keep answering while the command runs.
 */
async function reconcileCli(...args: string[]): Promise<{ code: number; stdout: string; summary: Record<string, any> }> {
  const env = {
    PATH: process.env.PATH!,
    APP_ENV: 'development',
    DATABASE_URL: app.ctx.env.databaseUrl!,
    REDIS_URL: app.ctx.env.redisUrl!,
    ...storageEnv(s3.config),
    LOG_LEVEL: 'warn',
  };
  const run = promisify(execFile)(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  const { stdout, code } = await run.then(
    (out) => ({ stdout: out.stdout, code: 0 }),
    (err: { stdout?: string; code?: number; stderr?: string }) => {
      if (typeof err.code !== 'number') throw err;
      return { stdout: err.stdout ?? '', code: err.code };
    },
  );
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, any>;
  return { code, stdout, summary };
}

describe('a track whose audio is in neither bucket', () => {
  it('plays as a 404 with the reason once marked, and its owner sees why in tracks.mine', async () => {
    // Before the check: the row still points at the public bucket.
    expect((await fetch(`${app.url}/audio/${lost.fileId}`, { redirect: 'manual' })).status).toBe(307);
    const report = await runReconcile(app.services, { repair: 'scheduled' });
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'audio_missing', subject: lost.id, action: 'repaired' }));

    const res = await fetch(`${app.url}/audio/${lost.fileId}`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND', reason: 'audio_missing' } });

    const mine = await fetch(`${app.url}/v1/me/tracks`, { headers: artist.bearer });
    expect(mine.status).toBe(200);
    const { items } = (await mine.json()) as { items: Array<{ id: string; unavailable?: string }> };
    expect(items.find((t) => t.id === lost.id)).toMatchObject({ unavailable: 'audio_missing' });
    // Others' lists carry no such field.
    const list = (await (await fetch(`${app.url}/v1/tracks`)).json()) as { items: Array<{ id: string; unavailable?: string }> };
    expect(list.items.find((t) => t.id === lost.id)).not.toHaveProperty('unavailable');
  });
});

describe('pnpm reconcile', () => {
  it('reports a leaked public copy of a gated track (exit 1), --repair deletes it (exit 0), then finds it clean', async () => {
    const leaked = await seedTrack(app.services, artist, { gated: true });
    const key = app.services.storage.audioKey(leaked.fileId, leaked.fileType);
    await app.services.storage.copy({ bucket: 'private', key }, { bucket: 'public', key });

    const report = await reconcileCli();
    expect(report.code, report.stdout).toBe(1);
    expect(report.summary).toMatchObject({ repair: 'none', counts: { gated_audio_public: expect.anything() } });
    expect(report.stdout).toMatch(/gated_audio_public/);
    expect(await app.services.storage.head('public', key)).not.toBeNull();

    const repaired = await reconcileCli('--repair');
    expect(repaired.code, repaired.stdout).toBe(0);
    expect(repaired.summary.repair).toBe('all');
    expect(await app.services.storage.head('public', key)).toBeNull();
    expect(await app.services.storage.head('private', key)).not.toBeNull();

    const clean = await reconcileCli();
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.summary.counts).not.toHaveProperty('gated_audio_public');
  });


  it('refuses an unknown flag with the usage line and exit 2', () => {
    const out = spawnSync(process.execPath, [CLI, '--repiar'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/--repiar/);
    expect(out.stderr).toMatch(/^usage: pnpm reconcile \[--repair\]/m);
  });
});

describe('the drift check on the worker\'s schedule', () => {
  it('runs at the next tick of RECONCILE_SCHEDULE, repairs a leak and logs its summary line', { timeout: 180_000 }, async () => {
    const { storage } = scheduled.app.services;
    // The next minute's tick: the public copy of the gated track goes, by the worker alone.
    await expect.poll(() => storage.head('public', scheduled.leakedKey), { timeout: 150_000, interval: 500 }).toBeNull();
    expect(await storage.head('private', scheduled.leakedKey)).not.toBeNull();
    // A tick before the leak was made logs a summary without it; the one that repaired it names it.
    const summaries = () => scheduled.app.logs.filter((line) => line.includes('"reconcile":{')).map((line) => JSON.parse(line).reconcile);
    await expect
      .poll(summaries, { timeout: 30_000 })
      .toContainEqual(expect.objectContaining({ repair: 'scheduled', counts: expect.objectContaining({ gated_audio_public: expect.anything() }) }));
  });
});
