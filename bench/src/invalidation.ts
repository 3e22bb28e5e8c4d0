import { performance } from 'node:perf_hooks';
import { createDeveloperToken } from '@plyr/core/auth';
import type { LoadRequest } from './load/job.js';
import { percentileMs } from './load/percentile.js';
import type { ServerProcess } from './processes.js';
import { audio, cookie } from './requests.js';
import type { BenchContext, InvalidationResult, Scenario } from './scenarios.js';

/** Trials per kind of write: the p99 is over 50. */
const TRIALS = 50;
/** Past this the other instance has kept a stale answer far beyond any bound: the trial failed. */
const GIVE_UP_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** One write on the first instance and the request whose answer on the other one must change. */
interface Trial {
  /** Asked of both instances before the write (so a cache on either holds the old answer), then of the other until it changes. */
  poll: LoadRequest;
  before: number;
  after: number;
  /** A tRPC mutation, sent to the first instance as the owner from the frontend's origin. */
  procedure: string;
  input: unknown;
}

async function statusOf(baseUrl: string, request: LoadRequest, roundTrips?: number[]): Promise<number> {
  const sent = performance.now();
  const res = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: request.headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  await res.arrayBuffer();
  roundTrips?.push(performance.now() - sent);
  return res.status;
}

async function mutate(baseUrl: string, ctx: BenchContext, procedure: string, input: unknown): Promise<void> {
  const res = await fetch(`${baseUrl}/trpc/${procedure}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ctx.frontendOrigin, ...cookie(ctx.fixture.sessions.owner) },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${procedure} answered ${res.status}: ${text.slice(0, 200)}`);
}

/**
 * Milliseconds from the write's response on `first` to the first changed answer from `other`,
 * which is asked back to back on one connection meanwhile. Throws with what went wrong.
 */
async function measureTrial(first: ServerProcess, other: ServerProcess, ctx: BenchContext, trial: Trial, roundTrips: number[]): Promise<number> {
  for (const [which, srv] of [['first', first], ['other', other]] as const) {
    const got = await statusOf(srv.url, trial.poll, which === 'other' ? roundTrips : undefined);
    if (got !== trial.before) throw new Error(`before the write the ${which} instance answered ${got}, expected ${trial.before}`);
  }
  await mutate(first.url, ctx, trial.procedure, trial.input);
  const written = performance.now();
  for (;;) {
    const got = await statusOf(other.url, trial.poll);
    const elapsedMs = performance.now() - written;
    if (got === trial.after) return elapsedMs;
    if (got !== trial.before) throw new Error(`the other instance answered ${got}, neither ${trial.before} nor ${trial.after}`);
    if (elapsedMs > GIVE_UP_MS) throw new Error(`the other instance still answered ${got} ${GIVE_UP_MS} ms after the write`);
  }
}

async function measureKind(first: ServerProcess, other: ServerProcess, ctx: BenchContext, trials: Trial[]): Promise<InvalidationResult> {
  const latencies: number[] = [];
  const roundTrips: number[] = [];
  let firstFailure: string | undefined;
  for (const trial of trials) {
    try {
      latencies.push(await measureTrial(first, other, ctx, trial, roundTrips));
    } catch (err) {
      firstFailure ??= err instanceof Error ? err.message : String(err);
    }
  }
  return {
    trials: trials.length,
    p50Ms: percentileMs(latencies, 0.5),
    p99Ms: percentileMs(latencies, 0.99),
    maxMs: percentileMs(latencies, 1),
    pollP50Ms: percentileMs(roundTrips, 0.5),
    failed: trials.length - latencies.length,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

/** The owner's oldest public tracks: outside every rotation and off the first page of tracks.list. */
async function ownerPublicTracks(ctx: BenchContext, count: number): Promise<Array<{ id: string; fileId: string }>> {
  const rows = await ctx.infra.db.sql<Array<{ id: string; file_id: string }>>`
    SELECT id, file_id FROM tracks
    WHERE artist_did = ${ctx.fixture.artists[0]!} AND support_gate IS NULL
    ORDER BY created_at ASC LIMIT ${count}`;
  return rows.map((r) => ({ id: r.id, fileId: r.file_id }));
}

async function buildTrials(ctx: BenchContext): Promise<Record<string, Trial[]>> {
  const owner = ctx.fixture.artists[0]!;
  const tracks = await ownerPublicTracks(ctx, 2 * TRIALS);
  const tokens = await Promise.all(
    Array.from({ length: TRIALS }, (_, i) => createDeveloperToken(ctx.infra.db.db, owner, { name: `bench-invalidation-${i}` })),
  );
  const gatedFileIds = ctx.fixture.ownerGatedFileIds;
  return {
    // Anonymous play of a public track: 307 until the gate, 401 (sign in) after.
    gate: tracks.slice(0, TRIALS).map((t) => ({
      poll: audio([t.fileId])[0]!,
      before: 307,
      after: 401,
      procedure: 'tracks.update',
      input: { id: t.id, supportGate: { type: 'any' } },
    })),
    // The owner's gated track with a developer token: 307 until the revocation, 401 after.
    revoke: tokens.map((token, i) => ({
      poll: audio([gatedFileIds[i % gatedFileIds.length]!], { authorization: `Bearer ${token.token}` })[0]!,
      before: 307,
      after: 401,
      procedure: 'auth.developerTokens.revoke',
      input: { id: token.id },
    })),
    // Anonymous play of a public track: 307 until the deletion, 404 after.
    delete: tracks.slice(TRIALS).map((t) => ({
      poll: audio([t.fileId])[0]!,
      before: 307,
      after: 404,
      procedure: 'tracks.delete',
      input: { id: t.id },
    })),
  };
}

/**
 * Two API processes on one database and one Redis: a gate set, a developer token revoked and a
 * track deleted on the first; how long the second keeps answering the old way.
 */
export const invalidation: Scenario = {
  name: 'invalidation',
  server: 'api',
  async run(first, ctx) {
    const trials = await buildTrials(ctx);
    const other = await ctx.startApi('api-other');
    try {
      const results: Record<string, InvalidationResult> = {};
      for (const [kind, list] of Object.entries(trials)) results[kind] = await measureKind(first, other, ctx, list);
      const worst = (pick: (r: InvalidationResult) => number) => Math.max(...Object.values(results).map(pick));
      return {
        load: null,
        expectedStatuses: [],
        latency: { p50Ms: worst((r) => r.p50Ms), p99Ms: worst((r) => r.p99Ms) },
        errors: Object.values(results).reduce((sum, r) => sum + r.failed, 0),
        extra: { invalidation: results },
      };
    } finally {
      await other.stop();
    }
  },
};
