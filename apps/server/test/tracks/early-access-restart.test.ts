import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuedJobs, startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs } from '@plyr/testing/atproto/login';
import { START_TIMEOUT_MS, startApi, startCluster, type ApiInstance, type Cluster } from '../cluster/support/cluster.js';
import { spawnServer, type ChildHandle } from '../reliability/support/child.js';
import { mutate, ok, readTrackRecord, uploadTrack, type Caller, type Track } from './helpers.js';

/**
 * An early-access release survives a restart of every process: two API instances and the worker
 * are all killed (SIGKILL) after `publicAt` is set and started again before it; the track still
 * opens at the instant on the new processes and the scheduled release still finishes the move.
 * Nothing of the schedule may live in a process's memory.
 */

let network: LocalAtprotoNetwork;
let fans: FakeAtprotofans;
let cluster: Cluster;
/** The worker running now (the cluster's first one is replaced by the restart). */
let worker: ChildHandle;
let coldStartMs: number;
const dataDirs: string[] = [];

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  fans = await startFakeAtprotofans();
  const started = Date.now();
  cluster = await startCluster({ ...network.env, ATPROTOFANS_URL: fans.url, RATE_LIMIT_ENABLED: 'false' });
  coldStartMs = Date.now() - started;
  worker = cluster.worker;
}, START_TIMEOUT_MS * 2);

afterAll(async () => {
  await worker?.kill();
  await cluster?.close();
  await fans?.close();
  await network?.close();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh DATA_DIR for a restarted process, as on a new container: a SIGKILLed process leaves its
 * DATA_DIR lock behind until it goes stale, which is a different test (jobs-durability).
 */
function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plyr-restart-'));
  dataDirs.push(dir);
  return dir;
}

const audio = (api: ApiInstance, fileId: string, who: Caller) =>
  fetch(`${api.url}/audio/${fileId}`, { redirect: 'manual', headers: who.headers, signal: AbortSignal.timeout(20_000) });
const row = (id: string) => cluster.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, id) });

/** SIGKILL every process at once, then start each again with the variables it had. */
async function restartEverything(): Promise<void> {
  await Promise.all([cluster.a.process.kill(), cluster.b.process.kill(), worker.kill()]);
  for (const api of [cluster.a, cluster.b]) {
    api.env = { ...api.env, DATA_DIR: freshDataDir() };
    api.process = startApi(api.env);
  }
  worker = spawnServer('worker', { ...cluster.env, DATA_DIR: freshDataDir() });
  await Promise.all([
    cluster.a.process.waitForLine(/plyr API listening/, START_TIMEOUT_MS),
    cluster.b.process.waitForLine(/plyr API listening/, START_TIMEOUT_MS),
    worker.waitForLine(/plyr worker running/, START_TIMEOUT_MS),
  ]);
}

describe('early access across a restart of every API and worker process', () => {
  it('opens at publicAt on the restarted instances and the release job still runs', { timeout: START_TIMEOUT_MS * 3 }, async () => {
    const [a, l] = await Promise.all(['restartartist', 'restartlistener'].map((name) => network.createAccount(name)));
    // Bearer tokens: one credential that both instances accept, before and after the restart.
    const artist = await loginAs(cluster.a, a!.handle, a!.password, { mode: 'token' });
    const listener = await loginAs(cluster.a, l!.handle, l!.password, { mode: 'token' });
    const track = await uploadTrack(cluster.a, artist, { title: 'Survives Restarts', supportGate: { type: 'any' } });

    // The restart must land before the instant: a warm restart is faster than the cold start just
    // measured, so twice that (plus a margin) leaves room on a loaded machine too.
    const publicAt = new Date(Date.now() + 2 * coldStartMs + 10_000).toISOString();
    ok(await mutate<Track>(cluster.a, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any', publicAt } }));
    expect((await audio(cluster.a, track.fileId, listener)).status).toBe(402);
    const release = (await queuedJobs(cluster.services.db)).filter((j) => j.key === `track-release:${track.id}`);
    expect(release.map((j) => j.runAt.toISOString())).toEqual([publicAt]);

    await restartEverything();
    expect(Date.now(), 'the processes came back before publicAt').toBeLessThan(Date.parse(publicAt));
    expect((await audio(cluster.b, track.fileId, listener)).status).toBe(402);

    // The instant: the restarted instances open it by the clock, never before it.
    await expect.poll(async () => (await audio(cluster.b, track.fileId, listener)).status, { timeout: START_TIMEOUT_MS, interval: 100 }).toBe(307);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(publicAt));
    const asked = fans.requests;
    expect((await audio(cluster.a, track.fileId, listener)).status).toBe(307);

    // The restarted worker ran the release scheduled before the restart.
    await expect.poll(async () => (await row(track.id))?.supportGate, { timeout: START_TIMEOUT_MS }).toBeNull();
    await expect.poll(async () => (await row(track.id))?.moving, { timeout: START_TIMEOUT_MS }).toBe(false);
    const released = (await row(track.id))!;
    expect(released.bucket).toBe('public');
    const key = cluster.services.storage.audioKey(track.fileId, track.fileType);
    expect(await cluster.services.storage.head('public', key)).not.toBeNull();
    expect(await cluster.services.storage.head('private', key)).toBeNull();
    const cdnUrl = cluster.services.storage.cdnUrl(track.fileId, track.fileType);
    const rkey = released.recordUri!.split('/').pop()!;
    await expect.poll(() => readTrackRecord(network.pdsUrl, artist.did, rkey), { timeout: START_TIMEOUT_MS }).toMatchObject({ audioUrl: cdnUrl });
    expect(await readTrackRecord(network.pdsUrl, artist.did, rkey)).not.toHaveProperty('supportGate');
    expect((await audio(cluster.b, track.fileId, listener)).headers.get('location')).toBe(cdnUrl);
    expect((await queuedJobs(cluster.services.db)).filter((j) => j.key === `track-release:${track.id}`)).toEqual([]);
    // Public by the clock, then by the row: no supporter source is asked once the instant has passed.
    expect(fans.requests).toBe(asked);
  });
});
