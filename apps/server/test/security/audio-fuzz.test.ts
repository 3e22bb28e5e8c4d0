import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startFaultProxy, type FaultProxy } from '../reliability/support/fault-proxy.js';
import { rawRequest } from '../reliability/support/http.js';
import { seedMember, seedTrack, type SeededTrack } from '../reliability/support/seed.js';

/**
 * `GET|HEAD /audio/:fileId` with anything but a well-formed id: 404, and the database is never
 * asked. The API reaches Postgres through a relay that counts the statements it runs.
 */

let postgres: FaultProxy;
let app: TestApp;
let dropDatabase: () => Promise<void>;
let track: SeededTrack;

beforeAll(async () => {
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  postgres = await startFaultProxy(5432);
  const url = new URL(database.url);
  url.port = String(postgres.port);
  app = await startTestApp({ RATE_LIMIT_ENABLED: 'false' }, { databaseUrl: url.toString(), runWorker: false });
  const artist = await seedMember(app.services, 'fuzzed-artist');
  track = await seedTrack(app.services, artist, { gated: false });
});

afterAll(async () => {
  await app?.close();
  await postgres?.close();
  await dropDatabase?.();
});

const HEX = '0123456789abcdef';

/** Ways to spell "go up a directory" or "end the string here" in a URL path. */
const TRAVERSALS = [
  '../',
  '..%2f',
  '..%2F',
  '%2e%2e%2f',
  '%2E%2E%2F',
  '%2e%2e/',
  '.%2e/',
  '..%5c',
  '..\\',
  '%252e%252e%252f',
  '..%c0%af',
  '%c0%ae%c0%ae%c0%af',
  '..%e0%80%af',
  '....//',
  '..;/',
  '%u002e%u002e%u2215',
  '..%ef%bc%8f',
];
const TERMINATORS = ['%00', '%2500', '%0a', '%0d%0a', '%09', '%20', '%c0%80', '.', '/', ';', '%3b', '%23', '%3f'];

/** Ids that must never reach the database, built around a real fileId so near-misses are tried too. */
function malformedIds(fileId: string): fc.Arbitrary<string> {
  const traversalPath = fc
    .tuple(fc.array(fc.constantFrom(...TRAVERSALS), { minLength: 1, maxLength: 6 }), fc.constantFrom('etc/passwd', 'trpc/auth.me', '', 'audio', fileId))
    .map(([ups, target]) => ups.join('') + target);

  const terminated = fc
    .tuple(fc.constantFrom(...TERMINATORS), fc.constantFrom('', '.mp3', '.mp3%00.txt', 'x'))
    .map(([t, tail]) => fileId + t + tail);

  const wrongShape = fc.oneof(
    fc.constantFrom(
      '',
      fileId.toUpperCase(),
      fileId.slice(0, 31),
      `${fileId}0`,
      `${fileId}.mp3`,
      `${fileId}/`,
      `/${fileId}`,
      `${fileId}/..`,
      fileId.replace(/./g, (c) => `%${c.charCodeAt(0).toString(16)}`),
      'a'.repeat(10_000),
      HEX.repeat(625),
      '%00',
      '%',
      '%zz',
      '%%%%',
    ),
    fc.string({ unit: fc.constantFrom(...HEX.split('')), minLength: 1, maxLength: 64 }).filter((s) => s.length !== 32),
    fc.string({ unit: 'binary-ascii', maxLength: 64 }).map((s) => encodeURIComponent(s)),
    fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => encodeURIComponent(s)),
    fc.webSegment(),
  );

  return fc.oneof(traversalPath, terminated, wrongShape);
}

describe('/audio/:fileId with a malformed id', () => {
  it('answers 404 to GET and HEAD without a single database statement', async () => {
    let probes = 0;
    postgres.resetCounters();
    await fc.assert(
      fc.asyncProperty(malformedIds(track.fileId), fc.constantFrom('GET', 'HEAD'), async (id, method) => {
        probes += 1;
        const res = await rawRequest(app.url, `/audio/${id}`, { method });
        if (res.status !== 404) throw new Error(`${method} /audio/${id.slice(0, 120)} → ${res.status} ${res.text.slice(0, 200)}`);
        if (postgres.postgresStatements !== 0) throw new Error(`${method} /audio/${id.slice(0, 120)} ran a database statement`);
      }),
      { numRuns: 300, endOnFailure: true },
    );
    expect(probes).toBeGreaterThanOrEqual(300);
    expect(postgres.postgresStatements).toBe(0);
  });

  it('does query for a well-formed id, so the counter above can see a lookup (control)', async () => {
    postgres.resetCounters();
    const unknown = await rawRequest(app.url, `/audio/${'0'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(postgres.postgresStatements).toBeGreaterThan(0);

    postgres.resetCounters();
    const known = await rawRequest(app.url, `/audio/${track.fileId}`);
    expect(known.status).toBe(307);
    expect(known.headers.location).toBe(app.services.storage.cdnUrl(track.fileId, track.fileType));
    expect(postgres.postgresStatements).toBeGreaterThan(0);
  });
});
