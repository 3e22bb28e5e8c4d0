import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { eventually, http, trpcCode, type HttpAnswer } from './support/http.js';
import { DRIVER_TEXT } from './support/leak-patterns.js';
import { seedMember, seedTrack, type Member, type SeededTrack } from './support/seed.js';

/**
 * Postgres dies, then hangs: every request that needs the database is answered fast with 503
 * (never a hang, never a 500, never a sign-out), /ready says so, and the same process serves again
 * once Postgres is back. A warm play keeps its answer from the hot-read cache meanwhile: no write
 * can commit while the database is down, so no cached entry can go stale during the outage.
 * The API reaches Postgres through a relay this test owns; the shared server is never touched.
 */

/** An outage answer must come well before a client or load balancer gives up (they wait 10-30 s). */
const FAST_MS = 3_000;
/** A hung database may take one connect timeout (5 s) to detect, not forever. */
const BOUNDED_MS = 8_000;
/** The test's own patience per request: past this it counts as a hang. */
const REQUEST_TIMEOUT_MS = 12_000;

let postgres: FaultProxy;
let fans: FakeAtprotofans;
let app: TestApp;
let dropDatabase: () => Promise<void>;
let member: Member;
let supporter: Member;
let track: SeededTrack;
let gatedTrack: SeededTrack;
/** Never read before the outage they are used in (made anew for each), so no cache can answer for them. */
let cold: { member: Member; track: SeededTrack; cursor: string };
/**
 * Seeded tracks are new to every cache, so they are not announced to it: an announcement's second
 * invalidation 0.5 s later would drop the entries the warm-up reads right after.
 */
let seeding: Pick<TestApp['services'], 'db' | 'storage'>;

beforeAll(async () => {
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  postgres = await startFaultProxy(5432);
  const url = new URL(database.url);
  url.port = String(postgres.port);
  fans = await startFakeAtprotofans();
  app = await startTestApp({ RATE_LIMIT_ENABLED: 'false', ATPROTOFANS_URL: fans.url }, { databaseUrl: url.toString() });
  seeding = { db: app.services.db, storage: app.services.storage };
  member = await seedMember(app.services, 'postgres-outage');
  supporter = await seedMember(app.services, 'postgres-outage-fan');
  fans.setSupporters([[supporter.did, member.did]]);
  track = await seedTrack(seeding, member, { gated: false });
  gatedTrack = await seedTrack(seeding, member, { gated: true });
  await makeCold();
});

afterAll(async () => {
  await postgres?.setMode('up');
  await app?.close();
  await fans?.close();
  await postgres?.close();
  await dropDatabase?.();
});

async function makeCold(): Promise<void> {
  const coldMember = await seedMember(app.services, 'postgres-outage-cold');
  const coldTrack = await seedTrack(seeding, coldMember, { gated: false });
  // Only the first page of the catalogue is cached; any later one is read from the database.
  const firstOfOne = await http(`${app.url}/trpc/tracks.list?input=${encodeURIComponent(JSON.stringify({ limit: 1 }))}`);
  cold = { member: coldMember, track: coldTrack, cursor: firstOfOne.json.result.data.nextCursor };
}

/**
 * What users do that needs the database: read the catalogue, resolve a session not seen before,
 * list their own tracks, write, play a track not read before.
 */
function requests(): Array<[string, () => Promise<HttpAnswer>]> {
  return [
    ['tracks.list, a later page', () => http(`${app.url}/trpc/tracks.list?input=${encodeURIComponent(JSON.stringify({ cursor: cold.cursor }))}`, { timeoutMs: REQUEST_TIMEOUT_MS })],
    ['tracks.byId', () => http(`${app.url}/trpc/tracks.byId?input=${encodeURIComponent(JSON.stringify({ id: cold.track.id }))}`, { timeoutMs: REQUEST_TIMEOUT_MS })],
    ['auth.me with a cookie', () => http(`${app.url}/trpc/auth.me`, { headers: cold.member.cookie, timeoutMs: REQUEST_TIMEOUT_MS })],
    ['tracks.mine with a bearer token', () => http(`${app.url}/trpc/tracks.mine`, { headers: member.bearer, timeoutMs: REQUEST_TIMEOUT_MS })],
    ['tracks.update', () => http(`${app.url}/trpc/tracks.update`, { method: 'POST', headers: { 'content-type': 'application/json', ...member.bearer }, body: JSON.stringify({ id: track.id, title: 'x' }), timeoutMs: REQUEST_TIMEOUT_MS })],
    ['/audio', () => http(`${app.url}/audio/${cold.track.fileId}`, { timeoutMs: REQUEST_TIMEOUT_MS })],
  ];
}

/**
 * Reads made before the outage, with the answer each must keep: public play → 307, gated HEAD as a
 * supporter → 200, the catalogue's first page → 200.
 */
function warmReads(): Array<[string, number, () => Promise<HttpAnswer>]> {
  return [
    ['warm tracks.list first page', 200, () => http(`${app.url}/trpc/tracks.list`, { timeoutMs: REQUEST_TIMEOUT_MS })],
    ['warm public /audio', 307, () => http(`${app.url}/audio/${track.fileId}`, { timeoutMs: REQUEST_TIMEOUT_MS })],
    ['warm gated HEAD /audio as a supporter', 200, () => http(`${app.url}/audio/${gatedTrack.fileId}`, { method: 'HEAD', headers: supporter.bearer, timeoutMs: REQUEST_TIMEOUT_MS })],
  ];
}

/** Every warm read keeps its answer within `withinMs`. */
async function expectWarmReadsKept(withinMs: number): Promise<void> {
  const problems = await Promise.all(
    warmReads().map(async ([what, status, send]) => {
      const res = await settle(send);
      if (res instanceof Error) return [`${what}: no answer (${res.name})`];
      const found: string[] = [];
      if (res.status !== status) found.push(`${what}: ${res.status} ${res.text.slice(0, 160)}`);
      if (res.ms > withinMs) found.push(`${what}: took ${Math.round(res.ms)} ms`);
      return found;
    }),
  );
  expect(problems.flat()).toEqual([]);
}

/** Why an answer is not a proper outage answer (503 within `withinMs`, the right code, no driver text). */
function outageProblems(what: string, res: HttpAnswer | Error, withinMs: number): string[] {
  if (res instanceof Error) return [`${what}: no answer within ${REQUEST_TIMEOUT_MS} ms (${res.name})`];
  const problems: string[] = [];
  if (res.status !== 503) problems.push(`${what}: ${res.status} ${res.text.slice(0, 160)}`);
  if (res.ms > withinMs) problems.push(`${what}: took ${Math.round(res.ms)} ms`);
  if (res.json?.error?.data && trpcCode(res) !== 'SERVICE_UNAVAILABLE') problems.push(`${what}: code ${trpcCode(res)}`);
  if (what === '/audio' && !res.headers.get('retry-after')) problems.push(`${what}: no Retry-After`);
  const leak = DRIVER_TEXT.exec(res.text);
  if (leak) problems.push(`${what}: body shows ${leak[0]}`);
  return problems;
}

const settle = (send: () => Promise<HttpAnswer>) => send().catch((err: Error) => err);

/** Every kind of request answered as an outage within `withinMs`, and no sign-out (401) among them. */
async function expectUnavailable(withinMs: number): Promise<void> {
  const answers = await Promise.all(requests().map(async ([what, send]) => outageProblems(what, await settle(send), withinMs)));
  expect(answers.flat()).toEqual([]);
}

async function expectServing(): Promise<void> {
  for (const [what, send] of requests().filter(([w]) => w !== 'tracks.update')) {
    const res = await send();
    expect([200, 307], `${what}: ${res.status} ${res.text.slice(0, 160)}`).toContain(res.status);
  }
  for (const [what, status, send] of warmReads()) {
    const res = await send();
    expect(res.status, `${what}: ${res.status} ${res.text.slice(0, 160)}`).toBe(status);
  }
}

const ready = () => http(`${app.url}/ready`, { timeoutMs: 10_000 });

describe('Postgres down (connections refused)', () => {
  it('serves normally first (control), warming the plays', async () => {
    await expectServing();
    expect((await ready()).status).toBe(200);
  });

  it(`answers every request that needs the database with 503 within ${FAST_MS} ms; /ready 503 naming postgres; /health 200`, async () => {
    await makeCold();
    await postgres.setMode('refuse');
    await expectUnavailable(FAST_MS);
    const readiness = await ready();
    expect(readiness.status).toBe(503);
    expect(readiness.json).toMatchObject({ status: 'unavailable', failed: ['postgres'] });
    expect(readiness.ms).toBeLessThan(FAST_MS);
    expect((await http(`${app.url}/health`)).status).toBe(200);
  });

  it(`keeps a warm play's answer (public 307, gated HEAD 200) within ${FAST_MS} ms`, async () => {
    await expectWarmReadsKept(FAST_MS);
  });

  it('holds under load: 40 concurrent requests, all answered 503 fast', async () => {
    const kinds = requests();
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const [what, send] = kinds[i % kinds.length]!;
        return outageProblems(`#${i} ${what}`, await settle(send), FAST_MS);
      }),
    );
    expect(answers.flat()).toEqual([]);
    await expectWarmReadsKept(FAST_MS);
  });

  it('recovers without a restart once Postgres is back: data intact, sessions still valid', async () => {
    await postgres.setMode('up');
    await eventually('/ready is 200 again', async () => (await ready()).status === 200, 15_000);
    await expectServing();
    const me = await http(`${app.url}/trpc/auth.me`, { headers: member.cookie });
    expect(me.json.result.data.did).toBe(member.did);
  });
});

describe('Postgres hanging (no answer, connections kept open)', () => {
  it(`answers every request that needs the database with 503 within ${BOUNDED_MS} ms instead of hanging; /ready within its 2 s budget`, async () => {
    await makeCold();
    await postgres.setMode('blackhole');
    const readiness = await ready();
    expect(readiness.status).toBe(503);
    expect(readiness.ms).toBeLessThan(FAST_MS);
    await expectUnavailable(BOUNDED_MS);
  });

  it(`keeps a warm play's answer without waiting for the hung database (within ${FAST_MS} ms)`, async () => {
    await expectWarmReadsKept(FAST_MS);
  });

  it('recovers once Postgres answers again', async () => {
    await postgres.setMode('up');
    await eventually('/ready is 200 again', async () => (await ready()).status === 200, 20_000);
    await eventually('tracks.list serves again', async () => (await http(`${app.url}/trpc/tracks.list`)).status === 200, 20_000);
    await expectServing();
  });
});
