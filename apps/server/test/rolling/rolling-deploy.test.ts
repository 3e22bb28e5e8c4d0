import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs, type SignedInUser } from '@plyr/testing/atproto/login';
import { eventually, http, trpcMutation, type HttpAnswer } from '../reliability/support/http.js';
import { startLoad, tally, type Load, type LoadRequest, type LoadSample } from '../reliability/support/load.js';
import { seedMember, seedTrack, type Member, type SeededTrack } from '../reliability/support/seed.js';
import type { ChildHandle } from '../reliability/support/child.js';
import { mp3Bytes } from '../tracks/helpers.js';
import { logRecords, START_TIMEOUT_MS, startApi, startCluster, type ApiInstance, type Cluster } from '../cluster/support/cluster.js';
import { CHECK_FALL, CHECK_INTERVAL_MS, CHECK_RISE, startHaProxy, type HaProxy } from './support/haproxy.js';
import { moveJobsOf } from './support/move-jobs.js';

/**
 * A rolling deploy behind HAProxy: two API processes and a worker, steady mixed traffic through the
 * balancer (plays, lists, uploads, gate changes), and each API restarted in turn (SIGTERM, exit,
 * start, ready). Nothing may fail, no job may be lost, no record may be written twice.
 * In `pnpm test` each steady phase (before, between and after the restarts) lasts until it has
 * served STEADY requests; `pnpm test:rolling` sets ROLLING_SECONDS (60) of load instead.
 */

const ROLLING_SECONDS = process.env.ROLLING_SECONDS ? Number(process.env.ROLLING_SECONDS) : null;
/** Answers each steady phase waits for: reads, and writes (an upload or a gate change each). */
const STEADY = { reads: 100, writes: 1 };
/** Longer than the balancer needs to see `/ready` fail (CHECK_FALL × CHECK_INTERVAL_MS, plus a check in flight). */
const DRAIN_SECONDS = 3;
const LISTENERS = 40;

let network: LocalAtprotoNetwork;
let atprotofans: FakeAtprotofans;
let cluster: Cluster;
let lb: HaProxy;
let artist: SignedInUser;
let listeners: Member[];
let gatedSeed: SeededTrack;
let publicSeed: SeededTrack;
/** Every API process started, the replaced ones included, for their logs. */
const processes: ChildHandle[] = [];

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  atprotofans = await startFakeAtprotofans();
  const lbPort = await freePort();
  cluster = await startCluster({
    ...network.env,
    ATPROTOFANS_URL: atprotofans.url,
    // Clients and OAuth see the balancer, never an instance.
    PUBLIC_URL: `http://localhost:${lbPort}`,
    TRUST_PROXY: '1',
    RATE_LIMIT_DEFAULT: '100000/minute',
    RATE_LIMIT_UPLOAD: '100000/minute',
    SHUTDOWN_DRAIN_SECONDS: String(DRAIN_SECONDS),
  });
  processes.push(cluster.a.process, cluster.b.process, cluster.worker);
  lb = await startHaProxy(lbPort, [cluster.a, cluster.b]);
  await eventually('both instances in service', async () => Object.values(await lb.servers()).every((s) => s === 'UP'), 30_000, 100);

  const account = await network.createAccount('rolling-artist');
  artist = await loginAs(lb, account.handle, account.password);
  const seededArtist = await seedMember(cluster.services, 'rolling-seeded-artist');
  listeners = await Promise.all(Array.from({ length: LISTENERS }, (_, i) => seedMember(cluster.services, `rolling-listener-${i}`)));
  for (const l of listeners.slice(0, LISTENERS / 2)) atprotofans.addSupporter(l.did, seededArtist.did);
  gatedSeed = await seedTrack(cluster.services, seededArtist, { gated: true });
  publicSeed = await seedTrack(cluster.services, seededArtist, { gated: false });
}, 2 * START_TIMEOUT_MS);

afterAll(async () => {
  await lb?.close();
  for (const p of processes) await p.kill();
  await cluster?.close();
  await atprotofans?.close();
  await network?.close();
});

/** Plays and lists through the balancer, each request as one of many listeners. */
function readTraffic(): LoadRequest[] {
  const who = (i: number) => listeners[i % listeners.length]!;
  return [
    ['public /audio', (i) => http(`${lb.url}/audio/${publicSeed.fileId}`, { headers: who(i).bearer })],
    ['gated /audio', (i) => http(`${lb.url}/audio/${gatedSeed.fileId}`, { headers: who(i).bearer })],
    ['tracks.list', (i) => http(`${lb.url}/trpc/tracks.list?input=${encodeURIComponent('{"limit":20}')}`, { headers: who(i).bearer })],
  ];
}

interface Uploaded {
  id: string;
  gated: boolean;
}
const uploaded: Uploaded[] = [];
let acceptedToggles = 0;

/** The artist's writes, one at a time: an upload, then a gate change of an earlier upload, and so on. */
function writeTraffic(): LoadRequest[] {
  return [
    ['upload', () => upload()],
    [
      'gate toggle',
      async (i) => {
        const track = uploaded[Math.floor(i / 2) % uploaded.length]!;
        const answer = await trpcMutation(lb.url, 'tracks.update', { id: track.id, supportGate: track.gated ? null : { type: 'any' } }, artist.headers);
        if (answer.status === 200) {
          track.gated = !track.gated;
          acceptedToggles += 1;
        }
        return answer;
      },
    ],
  ];
}

/** createUpload → PUT to storage → finalizeUpload; the answer of the first step that did not succeed. */
async function upload(): Promise<HttpAnswer> {
  const bytes = mp3Bytes(3_000);
  const ticket = await trpcMutation(lb.url, 'tracks.createUpload', { filename: 'r.mp3', contentType: 'audio/mpeg', size: bytes.length }, artist.headers);
  if (ticket.status !== 200) return ticket;
  const { uploadId, url, headers } = ticket.json.result.data;
  const put = await http(url, { method: 'PUT', headers, body: new Uint8Array(bytes) });
  if (put.status !== 200) return put;
  const done = await trpcMutation(lb.url, 'tracks.finalizeUpload', { uploadId, title: `Rolling ${uploaded.length}` }, artist.headers);
  if (done.status === 200) uploaded.push({ id: done.json.result.data.id, gated: false });
  return { ...done, ms: ticket.ms + put.ms + done.ms };
}

const ALLOWED: Record<string, number[]> = {
  'public /audio': [307],
  // Supporters (the first half of the listeners) play, the others are told to support.
  'gated /audio': [307, 402],
  'tracks.list': [200],
  upload: [200],
  'gate toggle': [200],
};
const failures = (samples: LoadSample[]) => samples.filter((s) => !ALLOWED[s.kind]!.includes(s.status));

interface Restart {
  instance: string;
  /** From SIGTERM to `/ready` 503, to HAProxy marking it DOWN, to the process exiting, to it being back UP. */
  notReadyMs: number;
  outOfServiceMs: number;
  exitedMs: number;
  backInServiceMs: number;
}

async function restart(instance: ApiInstance, setPhase: (phase: string) => void): Promise<Restart> {
  setPhase(`restart ${instance.name}`);
  const old = instance.process;
  const exited = once(old.process, 'exit') as Promise<[number | null, string | null]>;
  const t0 = Date.now();
  old.process.kill('SIGTERM');
  await expect.poll(async () => (await http(`${instance.url}/ready`, { timeoutMs: 2_000 })).status, { timeout: 10_000, interval: 20 }).toBe(503);
  const notReadyMs = Date.now() - t0;
  await expect.poll(async () => (await lb.servers())[instance.name], { timeout: 20_000, interval: 25 }).toBe('DOWN');
  const outOfServiceMs = Date.now() - t0;
  // The balancer stopped routing to it while it still served: that is what the drain is for.
  expect(old.process.exitCode, `${instance.name} exited before the balancer took it out`).toBeNull();
  const [code] = await exited;
  expect(code).toBe(0);
  const exitedMs = Date.now() - t0;
  instance.process = startApi(instance.env);
  processes.push(instance.process);
  await instance.process.waitForLine(/plyr API listening/, START_TIMEOUT_MS);
  await expect.poll(async () => (await lb.servers())[instance.name], { timeout: 30_000, interval: 50 }).toBe('UP');
  const backInServiceMs = Date.now() - t0;
  setPhase('steady');
  return { instance: instance.name, notReadyMs, outOfServiceMs, exitedMs, backInServiceMs };
}

/** Finalizes whose inline record write failed and went to a `track-move` job instead (they log it). */
const recordRetries = () =>
  processes.flatMap((p) => logRecords(p)).filter((r) => r.msg === 'not done inline; retrying in the background' && r.job === 'track-move').length;

const answeredIn = (load: Load, phase: string) => load.samples.filter((s) => s.phase === phase).length;

/** A steady phase: until both loads have answered STEADY more requests, and at least `ms` (long runs only). */
async function steady(reads: Load, writes: Load, ms: number): Promise<void> {
  await Promise.all([
    reads.answered('steady', answeredIn(reads, 'steady') + STEADY.reads),
    writes.answered('steady', answeredIn(writes, 'steady') + STEADY.writes),
    // `pnpm test:rolling`: the length of the run is what it measures.
    ms > 0 ? new Promise((r) => setTimeout(r, ms)) : undefined,
  ]);
}

const percentile = (samples: LoadSample[], p: number) => {
  const ms = samples.map((s) => s.ms).sort((x, y) => x - y);
  return ms.length === 0 ? 0 : Math.round(ms[Math.min(ms.length - 1, Math.floor(ms.length * p))]!);
};

const length = ROLLING_SECONDS ? `${ROLLING_SECONDS} s` : `steady phases of ${STEADY.reads} reads and ${STEADY.writes} writes`;

describe(`rolling deploy behind HAProxy (${length} of mixed load)`, () => {
  it('restarting each API in turn fails no request, loses no job and writes no record twice', { timeout: (ROLLING_SECONDS ?? 0) * 1000 + 3 * START_TIMEOUT_MS }, async () => {
    // One upload before the load, so the first gate toggle has a track.
    expect((await upload()).status).toBe(200);
    const reads = startLoad(readTraffic(), { concurrency: 4, pauseMs: 5, phase: 'steady' });
    const writes = startLoad(writeTraffic(), { concurrency: 1, pauseMs: 50, phase: 'steady' });
    const setPhase = (phase: string) => {
      reads.phase = phase;
      writes.phase = phase;
    };
    const started = Date.now();
    const elapsed = () => Date.now() - started;
    const restarts: Restart[] = [];
    // Steady, restart A, steady, restart B, steady (with ROLLING_SECONDS: until the run's length).
    const runMs = (ROLLING_SECONDS ?? 0) * 1000;
    await steady(reads, writes, runMs / 6);
    restarts.push(await restart(cluster.a, setPhase));
    await steady(reads, writes, runMs && Math.max(1_000, runMs / 6));
    restarts.push(await restart(cluster.b, setPhase));
    await steady(reads, writes, runMs && Math.max(2_000, runMs - elapsed()));
    const samples = [...(await reads.stop()), ...(await writes.stop())];
    const seconds = Math.round(elapsed() / 1000);

    const phases = [...new Set(samples.map((s) => s.phase))];
    const report = {
      seconds,
      requests: samples.length,
      failed: failures(samples).length,
      p99ms: percentile(samples, 0.99),
      uploads: uploaded.length,
      gateToggles: acceptedToggles,
      recordRetries: recordRetries(),
      balancer: { checkIntervalMs: CHECK_INTERVAL_MS, fall: CHECK_FALL, rise: CHECK_RISE, drainSeconds: DRAIN_SECONDS },
      phases: Object.fromEntries(
        phases.map((phase) => {
          const of = samples.filter((s) => s.phase === phase);
          return [phase, { requests: of.length, failed: failures(of).length, p50ms: percentile(of, 0.5), p99ms: percentile(of, 0.99) }];
        }),
      ),
      restarts,
    };
    console.log(`rolling deploy: ${JSON.stringify(report)}`);

    expect(tally(failures(samples))).toEqual({});
    for (const name of ['restart A', 'restart B']) expect(samples.filter((s) => s.phase === name).length, name).toBeGreaterThan(10);
    expect(samples.filter((s) => s.kind === 'upload' && s.phase.startsWith('restart')).length, 'uploads during restarts').toBeGreaterThan(0);

    // Every accepted change settles: no job lost.
    const ids = uploaded.map((t) => t.id);
    await eventually('every track settled', async () => {
      const rows = await artistTracks();
      return rows.length === ids.length && rows.every((r) => !r.moving && r.recordCid !== null);
    }, 60_000, 250);
    const rows = await artistTracks();
    for (const row of rows) {
      const want = uploaded.find((t) => t.id === row.id)!;
      expect(row.bucket, row.id).toBe(want.gated ? 'private' : 'public');
      const key = cluster.services.storage.audioKey(row.fileId, row.fileType);
      expect(await cluster.services.storage.head(want.gated ? 'public' : 'private', key), `stray copy of ${row.id}`).toBeNull();
    }
    // One move job per accepted gate change, each run to completion; finalize hands its record write
    // to the same job when the PDS did not take it inline (logged), so those count too.
    const jobs = moveJobsOf(processes, ids);
    expect(jobs.length).toBe(acceptedToggles + recordRetries());
    expect(jobs.filter((j) => j.state !== 'completed')).toEqual([]);

    // One record per track on the artist's PDS, the one the row points at: none lost, none twice.
    const records = await listTrackRecords(artist.did);
    expect(records.length).toBe(rows.length);
    expect(new Set(records).size).toBe(records.length);
    expect(new Set(records)).toEqual(new Set(rows.map((r) => r.recordUri)));

    for (const p of processes) {
      expect(logRecords(p).filter((r) => r.level === 50 || r.level === 60), 'error lines').toEqual([]);
    }
  });
});

const artistTracks = () => cluster.services.db.query.tracks.findMany({ where: (t, { eq }) => eq(t.artistDid, artist.did) });

/** The artist's fm.plyr.track record URIs, straight from their PDS. */
async function listTrackRecords(did: string): Promise<string[]> {
  const uris: string[] = [];
  let cursor: string | undefined;
  do {
    const qs = new URLSearchParams({ repo: did, collection: 'fm.plyr.track', limit: '100', ...(cursor ? { cursor } : {}) });
    const page = await http(`${network.pdsUrl}/xrpc/com.atproto.repo.listRecords?${qs}`);
    expect(page.status, page.text).toBe(200);
    uris.push(...(page.json.records as Array<{ uri: string }>).map((r) => r.uri));
    cursor = page.json.cursor;
  } while (cursor);
  return uris;
}
