import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { OwnRedis } from '../rate-limit/client.js';
import { startFaultProxy, type FaultProxy } from '../reliability/support/fault-proxy.js';
import { rawRequest } from '../reliability/support/http.js';
import { seedMember, seedTrack, type Member, type SeededTrack } from '../reliability/support/seed.js';

/**
 * A warm play costs no PostgreSQL statement (counted on the wire by a relay) and no Redis command
 * but the rate limiter's (counted by a redis-server of this test's own), signed in or not.
 */

const PLAYS = 20;

let postgres: FaultProxy;
let redis: OwnRedis;
let probe: Redis;
let app: TestApp;
let dropDatabase: () => Promise<void>;
let listener: Member;
let track: SeededTrack;

beforeAll(async () => {
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  postgres = await startFaultProxy(5432);
  redis = await OwnRedis.start();
  probe = new Redis(redis.url);
  const url = new URL(database.url);
  url.port = String(postgres.port);
  app = await startTestApp({}, { databaseUrl: url.toString(), redisUrl: redis.url, runWorker: false });
  const artist = await seedMember(app.services, 'warm-artist');
  listener = await seedMember(app.services, 'warm-listener');
  track = await seedTrack(app.services, artist, { gated: false });
});

afterAll(async () => {
  await app?.close();
  probe?.disconnect();
  await redis?.stop();
  await postgres?.close();
  await dropDatabase?.();
});

/**
 * Commands the server has run so far by name, the probe's own INFO calls and the cache's health
 * PING (a few a second, whatever the traffic) left out.
 */
async function redisCommands(): Promise<Map<string, number>> {
  const stats = await probe.info('commandstats');
  return new Map(
    [...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].filter(([, name]) => name !== 'info' && name !== 'ping').map(([, name, n]) => [name!, Number(n)]),
  );
}

/** What ran between two readings, by command name. */
function ran(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...after].map(([name, n]) => [name, n - (before.get(name) ?? 0)]).filter(([, n]) => Number(n) > 0));
}

describe('a warm public /audio', () => {
  it.each([
    ['anonymous', () => ({})],
    ['signed in (bearer session)', () => listener.bearer],
  ])('%s: zero PostgreSQL statements, no Redis command but the rate limiter’s', async (_, headers) => {
    for (let i = 0; i < 2; i++) expect((await rawRequest(app.url, `/audio/${track.fileId}`, { headers: headers() })).status).toBe(307);
    postgres.resetCounters();
    const before = await redisCommands();
    for (let i = 0; i < PLAYS; i++) expect((await rawRequest(app.url, `/audio/${track.fileId}`, { headers: headers() })).status).toBe(307);
    expect(postgres.postgresStatements).toBe(0);
    // The rate limiter's Lua script (INFO also counts the INCR and PTTL it runs inside) and nothing else.
    const commands = ran(before, await redisCommands());
    expect(Object.keys(commands).sort()).toEqual(['evalsha', 'incr', 'pttl']);
    expect(commands.evalsha).toBeLessThanOrEqual(PLAYS);
  });

  it('an unknown fileId is remembered as absent: a flood of it costs one lookup', async () => {
    postgres.resetCounters();
    const unknown = 'f'.repeat(32);
    for (let i = 0; i < PLAYS; i++) expect((await rawRequest(app.url, `/audio/${unknown}`)).status).toBe(404);
    expect(postgres.postgresStatements).toBe(1);
  });
});
