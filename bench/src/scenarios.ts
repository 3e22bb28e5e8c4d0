import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchInfra } from './infra.js';
import type { LoadJob, LoadRequest, LoadResult } from './load/job.js';
import { runLoad } from './load/client.js';
import type { BenchOptions } from './options.js';
import { probe, type Expectation } from './probe.js';
import { audio, cookie } from './requests.js';
import { wirePerRequest } from './wire.js';
import type { ServerProcess } from './processes.js';
import type { Fixture } from './seed.js';
import { invalidation } from './invalidation.js';

export type ServerKind = 'ceiling' | 'floor' | 'api';

export interface BenchContext {
  options: BenchOptions;
  fixture: Fixture;
  infra: BenchInfra;
  /** CDN_BASE_URL given to every server: public redirects point there. */
  cdnBaseUrl: string;
  /** The frontend's origin, allowed by CORS. */
  frontendOrigin: string;
  /** req/s of a scenario measured earlier in this run (the references run first), or null. */
  rpsOf(name: string): number | null;
  /** Another API process on the same database and Redis, for scenarios that need two; the caller stops it. */
  startApi(name: string): Promise<ServerProcess>;
}

/** What one scenario measured; run.ts adds the ratios and verdicts. */
export interface Measurement {
  load: LoadResult | null;
  /** Status codes this scenario may answer; anything else is counted as unexpected. */
  expectedStatuses: number[];
  /** Status codes that must each appear at least once (the mixed scenario). */
  requiredStatuses?: number[];
  /** Set when the scenario could not run, with the reason (e.g. a route not there yet). */
  skipped?: string;
  /** The measured run on the monotonic clock (µs), which V8 CPU profiles use too: profiles are cut to it. */
  window?: { startUs: number; endUs: number };
  extra?: {
    upstreamRequests?: number;
    rssBeforeMb?: number;
    rssAfterMb?: number;
    /** Server CPU time per request in the measured run, in microseconds. */
    serverCpuUsPerRequest?: number;
    /** Server CPU time over wall time in the measured run: near 1 means the server's one core is the limit. */
    serverCpuShare?: number;
    /** PostgreSQL statements (simple queries and extended-protocol executes) per request in the measured run. */
    pgStatementsPerRequest?: number | null;
    /** The statements of the measured run by SQL text (an excerpt), most frequent first: where pg/req comes from. */
    pgStatementsInRunByText?: Record<string, number>;
    /** Redis commands per request in the measured run (INFO commandstats). */
    redisCommandsPerRequest?: number | null;
    /** The same by command name, largest first: which command a request costs. */
    redisCommandsPerRequestByName?: Record<string, number>;
    /** An open-loop scenario's schedule, in requests per second. */
    offeredRps?: number;
    /** Per kind of write, how long the other instance kept the old answer (ms). */
    invalidation?: Record<string, InvalidationResult>;
  };
  /** Latency when there is no load run (invalidation: the worst kind's). */
  latency?: { p50Ms: number; p99Ms: number };
  /** Failures when there is no load run (trials that never saw the new answer or saw a wrong one). */
  errors?: number;
}

export interface InvalidationResult {
  trials: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Median round trip of one poll of the other instance before the writes: the least any trial can measure. */
  pollP50Ms: number;
  /** Trials whose other instance gave neither the old nor the new answer, or kept the old one past the limit. */
  failed: number;
  /** Why the first failed trial failed. */
  firstFailure?: string;
}

export interface Scenario {
  name: string;
  server: ServerKind;
  run(server: ServerProcess, ctx: BenchContext): Promise<Measurement>;
}

const STAMPEDE_REQUESTS = 200;
/** Long enough that all 200 requests are in the API before the first upstream answer. */
const STAMPEDE_UPSTREAM_DELAY_MS = 300;
/** Past this the memory run stops short of its request count and says so (a busy machine). */
const MEMORY_MAX_SECONDS = 120;
/** Lets the API settle (GC, sockets closing) before RSS is read after the memory run. */
const MEMORY_SETTLE_MS = 2_000;

/** The pass that sends every request of a scenario once before its warm-up stops here on a slow machine. */
const PRIMING_MAX_SECONDS = 30;

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** The open loop's cap on sockets: far above what 30 % of the floor needs, so the schedule, not the pool, sets the pace. */
const OPEN_LOOP_MAX_CONNECTIONS = 200;
/** `tracks-list-fixed-rate` offers this share of the same run's floor req/s. */
const FIXED_RATE_SHARE_OF_FLOOR = 0.3;


function tracksListRequest(ctx: BenchContext): LoadRequest {
  // The shape the SDK's batch link sends from the frontend's page load.
  const input = encodeURIComponent(JSON.stringify({ 0: { limit: 20 } }));
  return {
    method: 'GET',
    path: `/trpc/tracks.list?batch=1&input=${input}`,
    headers: { ...cookie(ctx.fixture.sessions.supporter), origin: ctx.frontendOrigin },
  };
}

const publicRedirect = (ctx: BenchContext, fileId: string): Expectation => ({
  status: 307,
  location: (l) => l === `${ctx.cdnBaseUrl}/audio/${fileId}.mp3`,
});

const presignedRedirect = (ctx: BenchContext, fileId: string): Expectation => ({
  status: 307,
  location: (l) =>
    l.startsWith(`${ctx.infra.s3Env.S3_ENDPOINT}/${ctx.infra.s3Env.S3_PRIVATE_BUCKET}/audio/${fileId}.mp3?`) &&
    l.includes('X-Amz-Signature='),
});

interface TrackItem {
  artist: { did: string };
  supportGate: unknown;
  gated: boolean;
}

/** 20 tracks, several gated artists, and the supporter's view resolved both ways. */
function checkTrackPage(json: unknown): string | null {
  const items = (json as Array<{ result?: { data?: { items?: TrackItem[] } } }>)?.[0]?.result?.data?.items;
  if (!Array.isArray(items) || items.length !== 20) return `expected 20 items, got ${JSON.stringify(json).slice(0, 200)}`;
  const gatedTracks = items.filter((t) => t.supportGate);
  const gatedArtists = new Set(gatedTracks.map((t) => t.artist.did));
  if (gatedArtists.size < 3) return `expected several gated artists on the page, got ${gatedArtists.size}`;
  if (!gatedTracks.some((t) => t.gated) || !gatedTracks.some((t) => !t.gated)) {
    return 'expected the supporter to see some gated tracks open and some closed';
  }
  return null;
}

/**
 * Runs a job once to warm caches, pools and the JIT, then again measured, reading the server's CPU
 * around it. `afterWarmUp` runs between the two (the memory scenario reads RSS there).
 */
async function warmThenMeasure(
  srv: ServerProcess,
  ctx: BenchContext,
  job: LoadJob,
  measured: Pick<LoadJob, 'durationSeconds' | 'amount' | 'maxSeconds'>,
  afterWarmUp?: () => void,
) {
  // Every connection cycles through the list from its start, so a timed warm-up reaches only its first
  // few hundred entries and the measured run would fill the rest: one pass over all of it first.
  const { ratePerSecond: _openLoop, ...closedLoop } = job;
  await runLoad({ ...closedLoop, connections: 1, amount: job.requests.length, maxSeconds: PRIMING_MAX_SECONDS });
  await runLoad({ ...job, durationSeconds: ctx.options.warmupSeconds });
  afterWarmUp?.();
  const wireBefore = await ctx.infra.wire.read();
  const cpuBefore = srv.cpuSeconds();
  const startUs = monotonicUs();
  const load = await runLoad({ ...job, ...measured });
  const window = { startUs, endUs: monotonicUs() };
  const cpu = srv.cpuSeconds() - cpuBefore;
  const wire = wirePerRequest(wireBefore, await ctx.infra.wire.read(), load.sent);
  return {
    load,
    window,
    serverCpuUsPerRequest: Math.round((cpu / load.requests) * 1e6),
    serverCpuShare: Math.round((cpu / load.seconds) * 100) / 100,
    ...wire,
  };
}

/** A scenario that probes once, then measures one request list at full load (closed loop, 50 connections). */
function throughput(
  name: string,
  server: ServerKind,
  build: (ctx: BenchContext) => { requests: LoadRequest[]; expect: Expectation; client?: LoadJob['client'] },
): Scenario {
  return {
    name,
    server,
    async run(srv, ctx) {
      const { requests, expect, client } = build(ctx);
      const wrong = await probe(srv.url, requests[0]!, expect);
      if (wrong) return { load: null, expectedStatuses: [expect.status], skipped: wrong };
      const job: LoadJob = { url: srv.url, connections: ctx.options.connections, requests, ...(client ? { client } : {}) };
      const { load, window, ...extra } = await warmThenMeasure(srv, ctx, job, { durationSeconds: ctx.options.durationSeconds });
      return { load, window, expectedStatuses: [expect.status], extra };
    },
  };
}

/**
 * tracks.list at a fixed offered rate, open loop: the latency a page load sees on a server with
 * headroom, which closed-loop p99 at saturation (set by Little's law) cannot show.
 */
const tracksListFixedRate: Scenario = {
  name: 'tracks-list-fixed-rate',
  server: 'api',
  async run(srv, ctx) {
    const floor = ctx.rpsOf('floor');
    if (!floor) return { load: null, expectedStatuses: [200], skipped: 'no floor req/s in this run to set the rate from' };
    const offeredRps = Math.max(1, Math.round(floor * FIXED_RATE_SHARE_OF_FLOOR));
    const request = tracksListRequest(ctx);
    const wrong = await probe(srv.url, request, { status: 200, body: checkTrackPage });
    if (wrong) return { load: null, expectedStatuses: [200], skipped: wrong };
    const job: LoadJob = { url: srv.url, client: 'undici', connections: OPEN_LOOP_MAX_CONNECTIONS, ratePerSecond: offeredRps, requests: [request] };
    const { load, window, ...extra } = await warmThenMeasure(srv, ctx, job, { durationSeconds: ctx.options.durationSeconds });
    return { load, window, expectedStatuses: [200], extra: { ...extra, offeredRps } };
  },
};

const stampede: Scenario = {
  name: 'stampede',
  server: 'api',
  /**
   * 200 requests at once for one (viewer, artist) pair nobody has asked about in this run, with a
   * slow upstream: the supporter check must reach atprotofans once and share the answer.
   */
  async run(srv, ctx) {
    const { fileId } = ctx.fixture.stampede;
    // Probe the route with another viewer, so the stampede's pair stays cold.
    const wrong = await probe(srv.url, audio(ctx.fixture.supportedGatedFileIds, cookie(ctx.fixture.sessions.supporter))[0]!,
      presignedRedirect(ctx, ctx.fixture.supportedGatedFileIds[0]!));
    if (wrong) return { load: null, expectedStatuses: [307], skipped: wrong };
    const { atprotofans } = ctx.infra;
    atprotofans.reset();
    atprotofans.setMode('slow', { delayMs: STAMPEDE_UPSTREAM_DELAY_MS });
    try {
      const wireBefore = await ctx.infra.wire.read();
      const load = await runLoad({
        url: srv.url,
        connections: STAMPEDE_REQUESTS,
        amount: STAMPEDE_REQUESTS,
        requests: audio([fileId], cookie(ctx.fixture.sessions.stampede)),
      });
      const wire = wirePerRequest(wireBefore, await ctx.infra.wire.read(), load.sent);
      return { load, expectedStatuses: [307], extra: { upstreamRequests: atprotofans.requests, ...wire } };
    } finally {
      atprotofans.setMode('ok');
    }
  },
};

const memory: Scenario = {
  name: 'memory',
  server: 'api',
  /** RSS around a long run of every kind of /audio and list request, refusals included. */
  async run(srv, ctx) {
    const { fixture } = ctx;
    const unknownId = '0'.repeat(32);
    const kinds: Array<{ request: (i: number) => LoadRequest; expect: (i: number) => Expectation }> = [
      { request: (i) => audio([fixture.publicFileIds[i]!])[0]!, expect: (i) => publicRedirect(ctx, fixture.publicFileIds[i]!) },
      {
        request: (i) => audio([fixture.supportedGatedFileIds[i]!], cookie(fixture.sessions.supporter))[0]!,
        expect: (i) => presignedRedirect(ctx, fixture.supportedGatedFileIds[i]!),
      },
      {
        request: (i) => audio([fixture.ownerGatedFileIds[i % fixture.ownerGatedFileIds.length]!], cookie(fixture.sessions.owner))[0]!,
        expect: (i) => presignedRedirect(ctx, fixture.ownerGatedFileIds[i % fixture.ownerGatedFileIds.length]!),
      },
      { request: () => tracksListRequest(ctx), expect: () => ({ status: 200, body: checkTrackPage }) },
      {
        request: (i) => audio([fixture.unsupportedGatedFileIds[i]!], cookie(fixture.sessions.nonSupporter))[0]!,
        expect: () => ({ status: 402 }),
      },
      { request: (i) => audio([fixture.unsupportedGatedFileIds[i]!])[0]!, expect: () => ({ status: 401 }) },
      { request: () => audio([unknownId])[0]!, expect: () => ({ status: 404 }) },
      { request: () => ({ method: 'GET', path: '/audio/not-a-file-id' }), expect: () => ({ status: 404 }) },
    ];
    for (const kind of kinds) {
      const wrong = await probe(srv.url, kind.request(0), kind.expect(0));
      if (wrong) return { load: null, expectedStatuses: [], skipped: wrong };
    }
    // Rounds of every kind, each round on other tracks.
    const requests = Array.from({ length: 100 }, (_, i) => kinds.map((kind) => kind.request(i))).flat();
    const statuses = [...new Set(kinds.map((k) => k.expect(0).status))];
    const job: LoadJob = { url: srv.url, connections: ctx.options.connections, requests };
    let rssBeforeMb = 0;
    const { load, window, ...measuredExtra } = await warmThenMeasure(
      srv,
      ctx,
      job,
      { amount: ctx.options.memoryRequests, maxSeconds: MEMORY_MAX_SECONDS },
      () => (rssBeforeMb = srv.rssMb()),
    );
    await sleep(MEMORY_SETTLE_MS);
    return {
      load,
      window,
      expectedStatuses: statuses,
      requiredStatuses: statuses,
      extra: { rssBeforeMb, rssAfterMb: srv.rssMb(), ...measuredExtra },
    };
  },
};

/** In order: the two references, then the product's hot paths. */
export const SCENARIOS: Scenario[] = [
  throughput('ceiling', 'ceiling', (ctx) => ({
    requests: audio(ctx.fixture.publicFileIds),
    expect: publicRedirect(ctx, ctx.fixture.publicFileIds[0]!),
  })),
  throughput('floor', 'floor', (ctx) => ({
    requests: audio(ctx.fixture.publicFileIds),
    expect: publicRedirect(ctx, ctx.fixture.publicFileIds[0]!),
  })),
  throughput('audio-public', 'api', (ctx) => ({
    requests: audio(ctx.fixture.publicFileIds),
    expect: publicRedirect(ctx, ctx.fixture.publicFileIds[0]!),
  })),
  throughput('audio-gated-supporter', 'api', (ctx) => ({
    requests: audio(ctx.fixture.supportedGatedFileIds, cookie(ctx.fixture.sessions.supporter)),
    expect: presignedRedirect(ctx, ctx.fixture.supportedGatedFileIds[0]!),
  })),
  throughput('audio-gated-owner', 'api', (ctx) => ({
    requests: audio(ctx.fixture.ownerGatedFileIds, cookie(ctx.fixture.sessions.owner)),
    expect: presignedRedirect(ctx, ctx.fixture.ownerGatedFileIds[0]!),
  })),
  throughput('audio-head-supporter', 'api', (ctx) => ({
    requests: audio(ctx.fixture.supportedGatedFileIds, cookie(ctx.fixture.sessions.supporter), 'HEAD'),
    // An allowed HEAD answers 200 with no body (no presigning); 401 or 402 would mean the check failed.
    expect: { status: 200 },
    client: 'undici',
  })),
  throughput('tracks-list', 'api', (ctx) => ({
    requests: [tracksListRequest(ctx)],
    expect: { status: 200, body: checkTrackPage },
  })),
  tracksListFixedRate,
  stampede,
  memory,
  // Last: it gates and deletes tracks, and starts a second API process.
  invalidation,
];
