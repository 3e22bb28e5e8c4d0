import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSessionStore } from '@plyr/core/auth';
import { startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs, type SignedInUser } from '@plyr/testing/atproto/login';
import { eventually, http, trpcMutation, trpcQuery } from '../reliability/support/http.js';
import { startLoad, tally, type Load, type LoadRequest, type LoadSample } from '../reliability/support/load.js';
import { mp3Bytes } from '../tracks/helpers.js';
import { seedMember, seedTrack, type Member, type SeededTrack } from '../reliability/support/seed.js';
import { logRecords, openSockets, rssMb, startCluster, type ApiInstance, type Cluster } from './support/cluster.js';

/**
 * Two API processes and one worker process on one Postgres, one Redis and one storage, with mixed
 * traffic through both APIs: limits hold in total, a gate change on one instance holds on the other
 * at once (supporter answers within their cache lifetime), one token refresh serves all processes,
 * each move job runs once. Then a soak: SOAK_REQUESTS answers in `pnpm test`, SOAK_SECONDS with
 * `pnpm soak` (60).
 */

/** The auth group's limit: the load stays in the default group, whose limit it never reaches. */
const AUTH_LIMIT = 10;
const SUPPORTER_TTL_SECONDS = 2;
const SOAK_SECONDS = process.env.SOAK_SECONDS ? Number(process.env.SOAK_SECONDS) : null;
const SOAK_REQUESTS = 2_000;
/** In-suite, RSS, sockets and connections are sampled this many times, evenly over the requests; a gate flip every other sample. */
const SOAK_SAMPLES = 20;
const LISTENERS = 150;

let network: LocalAtprotoNetwork;
let atprotofans: FakeAtprotofans;
let cluster: Cluster;
let artist: SignedInUser;
let listeners: Member[];
let seededArtist: Member;
let gatedSeed: SeededTrack;
let publicSeed: SeededTrack;

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  atprotofans = await startFakeAtprotofans();
  cluster = await startCluster({
    ...network.env,
    ATPROTOFANS_URL: atprotofans.url,
    SUPPORTER_CACHE_TTL_SECONDS: String(SUPPORTER_TTL_SECONDS),
    RATE_LIMIT_AUTH: `${AUTH_LIMIT}/minute`,
    RATE_LIMIT_DEFAULT: '100000/minute',
  });
  const account = await network.createAccount('cluster-artist');
  artist = await loginAs(cluster.a, account.handle, account.password);
  seededArtist = await seedMember(cluster.services, 'cluster-seeded-artist');
  listeners = await Promise.all(Array.from({ length: LISTENERS }, (_, i) => seedMember(cluster.services, `cluster-listener-${i}`)));
  for (const l of listeners.slice(0, LISTENERS / 2)) atprotofans.addSupporter(l.did, seededArtist.did);
  gatedSeed = await seedTrack(cluster.services, seededArtist, { gated: true });
  publicSeed = await seedTrack(cluster.services, seededArtist, { gated: false });
}, 180_000);

afterAll(async () => {
  await cluster?.close();
  await atprotofans?.close();
  await network?.close();
});

const instances = () => [cluster.a, cluster.b];
const on = (i: number) => instances()[i % 2]!;

/** Reads and plays through both instances, each request as one of many listeners. */
function mixedTraffic(): LoadRequest[] {
  const who = (i: number) => listeners[i % listeners.length]!;
  return [
    ['tracks.list', (i) => http(`${on(i).url}/trpc/tracks.list?input=${encodeURIComponent('{"limit":20}')}`, { headers: who(i).bearer })],
    ['auth.me', (i) => http(`${on(i).url}/trpc/auth.me`, { headers: who(i).cookie })],
    ['gated /audio', (i) => http(`${on(i).url}/audio/${gatedSeed.fileId}`, { headers: who(i).bearer })],
    ['public /audio', (i) => http(`${on(i).url}/audio/${publicSeed.fileId}`, { headers: who(i).bearer })],
    ['tracks.byId', (i) => http(`${on(i).url}/trpc/tracks.byId?input=${encodeURIComponent(JSON.stringify({ id: gatedSeed.id }))}`, { headers: who(i).bearer })],
    ['downloads.track', (i) => http(`${on(i).url}/trpc/downloads.track?input=${encodeURIComponent(JSON.stringify({ id: publicSeed.id }))}`, { headers: who(i).bearer })],
  ];
}

/** What each kind may answer: supporters (the first half of the listeners) play gated audio, the others get 402. */
function unexpected(samples: LoadSample[]): LoadSample[] {
  const allowed: Record<string, number[]> = {
    'tracks.list': [200],
    'auth.me': [200],
    'gated /audio': [307, 402],
    'public /audio': [307],
    'tracks.byId': [200],
    'downloads.track': [200],
  };
  return samples.filter((s) => !allowed[s.kind]!.includes(s.status));
}

/** createUpload → PUT → finalizeUpload through one instance, as a client does. */
async function uploadVia(instance: ApiInstance, opts: { title: string; gated?: boolean }): Promise<{ id: string; fileId: string }> {
  const bytes = mp3Bytes(4_000);
  const ticket = await trpcMutation(instance.url, 'tracks.createUpload', { filename: 'c.mp3', contentType: 'audio/mpeg', size: bytes.length }, artist.headers);
  const { uploadId, url, headers } = ticket.json.result.data;
  expect((await fetch(url, { method: 'PUT', headers, body: new Uint8Array(bytes) })).status).toBe(200);
  const done = await trpcMutation(instance.url, 'tracks.finalizeUpload', { uploadId, title: opts.title, supportGate: opts.gated ? { type: 'any' } : null }, artist.headers);
  expect(done.status, done.text).toBe(200);
  return done.json.result.data;
}

const rowOf = (id: string) => cluster.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, id) });
const settled = async (id: string) => {
  const row = await rowOf(id);
  return row!.moving === false && row!.recordCid !== null;
};

describe('two API instances and a worker', () => {
  let load: Load;
  beforeAll(() => {
    load = startLoad(mixedTraffic(), { concurrency: 3, pauseMs: 20, phase: 'cluster' });
  });

  it('rate limits hold in total across the instances, not per instance', async () => {
    // developerTokens.create is in the auth group; one signed-in client, alternating instances.
    const capped = await seedMember(cluster.services, 'cluster-capped');
    const statuses: number[] = [];
    for (let i = 0; i < AUTH_LIMIT + 4; i++) {
      statuses.push((await trpcMutation(on(i).url, 'auth.developerTokens.create', { name: `t${i}` }, capped.bearer)).status);
    }
    expect(statuses.slice(0, AUTH_LIMIT)).toEqual(Array(AUTH_LIMIT).fill(200));
    expect(statuses.slice(AUTH_LIMIT)).toEqual([429, 429, 429, 429]);
  });

  it('a gate set on A holds on B at once; supporter answers are shared and follow atprotofans within their cache lifetime', async () => {
    const track = await uploadVia(cluster.a, { title: 'Gated on A' });
    const fan = listeners[LISTENERS - 1]!;
    const stranger = listeners[LISTENERS - 2]!;
    atprotofans.addSupporter(fan.did, artist.did);
    expect((await http(`${cluster.b.url}/audio/${track.fileId}`)).status).toBe(307);

    expect((await trpcMutation(cluster.a.url, 'tracks.update', { id: track.id, supportGate: { type: 'any' } }, artist.headers)).status).toBe(200);
    expect((await http(`${cluster.b.url}/audio/${track.fileId}`)).status).toBe(401);
    expect((await http(`${cluster.b.url}/audio/${track.fileId}`, { headers: stranger.bearer })).status).toBe(402);
    const listed = await trpcQuery(cluster.b.url, 'tracks.byId', { id: track.id }, stranger.bearer);
    expect(listed.json.result.data).toMatchObject({ supportGate: { type: 'any' }, gated: true });

    // The fan's answer, fetched through A, is served to B from the shared cache.
    const fanChecks = () => atprotofans.requestLog.filter((r) => r.supporter === fan.did).length;
    expect((await http(`${cluster.a.url}/audio/${track.fileId}`, { headers: fan.bearer })).status).toBe(307);
    const upstream = fanChecks();
    expect(upstream).toBe(1);
    expect((await http(`${cluster.b.url}/audio/${track.fileId}`, { headers: fan.bearer })).status).toBe(307);
    expect(fanChecks()).toBe(upstream);

    // Support ends: both instances refuse once the cached answer lapses, not later.
    atprotofans.removeSupporter(fan.did, artist.did);
    const ended = Date.now();
    await eventually(
      'both instances refuse the former fan',
      async () => (await Promise.all(instances().map((x) => http(`${x.url}/audio/${track.fileId}`, { headers: fan.bearer })))).every((r) => r.status === 402),
      (SUPPORTER_TTL_SECONDS + 2) * 1000,
      100,
    );
    expect(Date.now() - ended).toBeLessThan((SUPPORTER_TTL_SECONDS + 2) * 1000);
    await eventually('the move finished', () => settled(track.id), 20_000, 200);
  });

  it('each move job runs once, whichever instance enqueued it, even when both get the same change at once', async () => {
    const tracks = await Promise.all([0, 1, 2, 3].map((i) => uploadVia(on(i), { title: `Moved ${i}` })));
    const racing = tracks[0]!;
    const updates = await Promise.all([
      ...tracks.map((t, i) => trpcMutation(on(i).url, 'tracks.update', { id: t.id, supportGate: { type: 'any' } }, artist.headers)),
      trpcMutation(on(1).url, 'tracks.update', { id: racing.id, supportGate: { type: 'any' } }, artist.headers),
    ]);
    for (const u of updates) expect(u.status, u.text).toBe(200);
    for (const t of tracks) await eventually(`${t.id} settled`, () => settled(t.id), 30_000, 200);
    // The worker reports each finished job in its log; the line may trail the row by a moment.
    const reported = async () => {
      const done = await moveJobsOf(tracks.map((t) => t.id));
      return tracks.every((t) => done.some((j) => j.trackId === t.id && j.state === 'completed'));
    };
    await eventually('the worker reported every move', reported, 15_000, 200);

    const jobs = await moveJobsOf(tracks.map((t) => t.id));
    for (const t of tracks) {
      const mine = jobs.filter((j) => j.trackId === t.id);
      expect(mine.length, `jobs for ${t.id}`).toBeGreaterThanOrEqual(1);
      // Run once: started once, finished once, never stalled or retried, never failed.
      for (const j of mine) expect(j, `job ${j.id}`).toMatchObject({ state: 'completed', attemptsStarted: 1, attemptsMade: 1, stalled: 0 });
      expect((await rowOf(t.id))!.bucket).toBe('private');
      expect(await cluster.services.storage.head('public', cluster.services.storage.audioKey(t.fileId, 'mp3'))).toBeNull();
    }
  });

  it('an expired OAuth token is refreshed once for all three processes needing it at the same time', async () => {
    const prepared = await Promise.all(
      [cluster.a, cluster.b].map(async (instance) => {
        const bytes = mp3Bytes(3_000);
        const ticket = await trpcMutation(instance.url, 'tracks.createUpload', { filename: 'r.mp3', contentType: 'audio/mpeg', size: bytes.length }, artist.headers);
        const { uploadId, url, headers } = ticket.json.result.data;
        expect((await fetch(url, { method: 'PUT', headers, body: new Uint8Array(bytes) })).status).toBe(200);
        return { instance, uploadId };
      }),
    );
    const toggled = await uploadVia(cluster.a, { title: 'Toggled during the refresh' });

    const store = new PostgresSessionStore(cluster.services.db, Buffer.from(cluster.env.SESSION_ENCRYPTION_KEY!, 'base64'));
    const saved = (await store.get(artist.did))!;
    await store.set(artist.did, { ...saved, tokenSet: { ...saved.tokenSet, expires_at: new Date(Date.now() - 60_000).toISOString() } });
    const refreshesBefore = network.tokenEvents.filter((e) => e.kind === 'refreshed' && e.did === artist.did).length;

    // Both APIs write a record inline (finalize); the worker writes one for the gate change.
    const [finalA, finalB, toggle] = await Promise.all([
      ...prepared.map(({ instance, uploadId }) => trpcMutation(instance.url, 'tracks.finalizeUpload', { uploadId, title: `Refresh via ${instance.name}` }, artist.headers)),
      trpcMutation(cluster.b.url, 'tracks.update', { id: toggled.id, supportGate: { type: 'any' } }, artist.headers),
    ]);
    for (const res of [finalA!, finalB!, toggle!]) expect(res.status, res.text).toBe(200);
    const written = [finalA!.json.result.data.id, finalB!.json.result.data.id, toggled.id] as string[];
    for (const id of written) await eventually(`record of ${id} written`, () => settled(id), 30_000, 200);

    const refreshes = network.tokenEvents.filter((e) => e.kind === 'refreshed' && e.did === artist.did).length - refreshesBefore;
    expect(refreshes).toBe(1);
  });

  it('the mixed traffic through both instances meanwhile: no 5xx, no unexpected answer, no hang', async () => {
    const samples = await load.stop();
    expect(samples.length).toBeGreaterThan(100);
    expect(tally(unexpected(samples))).toEqual({});
    for (const p of [cluster.a.process, cluster.b.process, cluster.worker]) {
      expect(logRecords(p).filter((r) => r.level === 50 || r.level === 60), 'error lines').toEqual([]);
    }
  });
});

interface MoveJob {
  id: string;
  trackId: string;
  state: 'completed' | 'failed' | 'other';
  attemptsStarted: number;
  attemptsMade: number;
  stalled: number;
}

/**
 * The move jobs of these tracks as the worker reported them: a line per attempt that ended ('job
 * done', 'job attempt failed; retrying', 'job failed for good'), keyed by the track's job key. A job
 * counts as stalled when the worker had to free the locks of a worker that died holding it.
 */
async function moveJobsOf(trackIds: string[]): Promise<MoveJob[]> {
  const records = logRecords(cluster.worker);
  const stalled = records.filter((r) => r.msg === 'job worker: released the jobs of a worker that is gone').length;
  const outcomes = records.filter((r) => r.job === 'track-move' && r.jobId !== undefined && typeof r.key === 'string' && r.key.startsWith('track-sync:'));
  const jobs = new Map<string, MoveJob>();
  for (const r of outcomes) {
    const trackId = (r.key as string).slice('track-sync:'.length);
    if (!trackIds.includes(trackId)) continue;
    const id = String(r.jobId);
    const job = jobs.get(id) ?? { id, trackId, state: 'other', attemptsStarted: 0, attemptsMade: 0, stalled };
    job.attemptsStarted += 1;
    job.attemptsMade = Math.max(job.attemptsMade, Number(r.attempt));
    job.state = r.msg === 'job done' ? 'completed' : r.msg === 'job failed for good' ? 'failed' : job.state;
    jobs.set(id, job);
  }
  return [...jobs.values()];
}

const soakLength = SOAK_SECONDS ? `${SOAK_SECONDS} s` : `${SOAK_REQUESTS} requests`;

describe(`soak (${soakLength} of mixed traffic across both instances)`, () => {
  it('no 5xx or unexpected answer, open connections and RSS stable', { timeout: ((SOAK_SECONDS ?? 60) + 60) * 1000 }, async () => {
    const processes = { A: cluster.a.process.process.pid!, B: cluster.b.process.process.pid!, worker: cluster.worker.process.pid! };
    /** `at`: how far into the run (0 → 1), by the clock with SOAK_SECONDS, else by requests answered. */
    const series: Array<{ at: number; rss: Record<string, number>; sockets: Record<string, number>; postgres: number }> = [];
    const progress = () => (SOAK_SECONDS ? (Date.now() - started) / (SOAK_SECONDS * 1000) : load.samples.length / SOAK_REQUESTS);
    const sample = async () => {
      const rows = (await cluster.services.db.execute(`select count(*)::int as n from pg_stat_activity where datname = '${cluster.databaseName}'`)) as unknown as Array<{ n: number }>;
      series.push({
        at: progress(),
        rss: Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, rssMb(pid)])),
        sockets: Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, openSockets(pid)])),
        postgres: rows[0]!.n,
      });
    };

    // Writes alongside the reads: the artist flips a track's gate (every 2 s with SOAK_SECONDS), alternating instances.
    const flipping = await uploadVia(cluster.a, { title: 'Flipped during the soak' });
    let flips = 0;
    const writes: number[] = [];
    const flip = () => {
      const gate = flips % 2 === 0 ? { type: 'any' } : null;
      void trpcMutation(on(flips).url, 'tracks.update', { id: flipping.id, supportGate: gate }, artist.headers).then(
        (r) => writes.push(r.status),
        () => writes.push(0),
      );
      flips += 1;
    };

    const load = startLoad(mixedTraffic(), { concurrency: 6, pauseMs: 5, phase: 'soak' });
    const started = Date.now();
    if (SOAK_SECONDS) {
      // `pnpm soak`: the length of the run is what it measures.
      const flipper = setInterval(flip, 2_000);
      const sampler = setInterval(() => void sample(), 1_000);
      await new Promise((r) => setTimeout(r, SOAK_SECONDS * 1000));
      clearInterval(sampler);
      clearInterval(flipper);
    } else {
      for (let i = 1; i <= SOAK_SAMPLES; i++) {
        await load.answered('soak', (SOAK_REQUESTS * i) / SOAK_SAMPLES);
        await sample();
        if (i % 2 === 1) flip();
      }
    }
    const samples = await load.stop();
    const elapsed = (Date.now() - started) / 1000;
    await sample();

    const latencies = samples.map((s) => s.ms).sort((x, y) => x - y);
    const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!);
    const warm = series.filter((s) => s.at >= 0.25 && s.at < 0.5);
    const end = series.filter((s) => s.at >= 0.75);
    const peak = (rows: typeof series, pick: (s: (typeof series)[number]) => number) => Math.max(...rows.map(pick));
    const report = {
      seconds: Math.round(elapsed),
      requests: samples.length,
      perSecond: Math.round(samples.length / elapsed),
      p50ms: pct(0.5),
      p99ms: pct(0.99),
      gateFlips: flips,
      rssMb: Object.fromEntries(Object.keys(processes).map((k) => [k, [Math.round(peak(warm, (s) => s.rss[k]!)), Math.round(peak(end, (s) => s.rss[k]!))]])),
      sockets: Object.fromEntries(Object.keys(processes).map((k) => [k, [peak(warm, (s) => s.sockets[k]!), peak(end, (s) => s.sockets[k]!)]])),
      postgresConnections: [peak(warm, (s) => s.postgres), peak(end, (s) => s.postgres)],
    };
    console.log(`soak: ${JSON.stringify(report)}`);

    // A floor only (5 a second): the point is stability; throughput on a shared 2-core machine varies a lot.
    expect(samples.length).toBeGreaterThan(elapsed * 5);
    expect(tally(unexpected(samples))).toEqual({});
    expect(writes.every((s) => s === 200), `gate flips answered ${writes.join(',')}`).toBe(true);
    for (const k of Object.keys(processes)) {
      const [warmRss, endRss] = report.rssMb[k] as [number, number];
      // Stable (heap capped, see startCluster): within 15 % plus GC slack of where it stood once warm.
      expect(endRss, `${k} RSS (MB) ${warmRss} → ${endRss}`).toBeLessThan(warmRss * 1.15 + 15);
      const [warmSockets, endSockets] = report.sockets[k] as [number, number];
      expect(endSockets, `${k} open sockets ${warmSockets} → ${endSockets}`).toBeLessThanOrEqual(warmSockets + 8);
    }
    // Nobody died of it (a leak under the heap cap ends in an out-of-memory crash).
    for (const p of [cluster.a.process, cluster.b.process, cluster.worker]) expect(p.process.exitCode).toBeNull();
    // Three pools of at most 10 (the worker's job-queue connections aside): never more, and not creeping up.
    expect(report.postgresConnections[1]!).toBeLessThanOrEqual(30);
    expect(report.postgresConnections[1]!).toBeLessThanOrEqual(report.postgresConnections[0]! + 3);
    await eventually('the last flip settled', () => settled(flipping.id), 30_000, 200);
  });
});
