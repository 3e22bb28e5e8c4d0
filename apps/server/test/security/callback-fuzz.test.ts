import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startFaultProxy, type FaultProxy } from '../reliability/support/fault-proxy.js';
import { rawRequest } from '../reliability/support/http.js';

/**
 * The raw routes with whatever a caller may type: `/auth/callback` answers a callback that cannot
 * be one of ours with `auth_error=expired` before any database statement, and no request here
 * writes a warn or error line. The API reaches Postgres through a relay that counts statements.
 */

const FRONTEND_URL = 'http://localhost:5173';
const EXPIRED = `${FRONTEND_URL}/?auth_error=expired`;

let postgres: FaultProxy;
let app: TestApp;
let dropDatabase: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  postgres = await startFaultProxy(5432);
  const url = new URL(database.url);
  url.port = String(postgres.port);
  app = await startTestApp({ RATE_LIMIT_ENABLED: 'false', FRONTEND_URL }, { databaseUrl: url.toString(), runWorker: false });
});

afterAll(async () => {
  await app?.close();
  await postgres?.close();
  await dropDatabase?.();
});

/** Log lines at warn (40) or above written since `from`. */
function warnings(from: number): string[] {
  return app.logs.slice(from).filter((line) => (JSON.parse(line) as { level: number }).level >= 40);
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** A state of the shape we issue (22 base64url characters), unknown to the database. */
const wellFormedState = fc.string({ unit: fc.constantFrom(...B64URL.split('')), minLength: 22, maxLength: 22 });
const encoded = (s: string) => encodeURIComponent(s);

/** Values no parameter may have: bytes PostgreSQL refuses, controls, broken escapes, non-ASCII, huge strings. */
const hostile = fc.oneof(
  fc.constantFrom('%00', '%ff%fe', 'abc%00def', '%0a', '%0d%0a', '%c0%80', '%e2%80%ae', 'x'.repeat(3000), '%00'.repeat(500)),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 40 }).filter((s) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f')).map(encoded),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => /[^\x20-\x7e]/.test(s)).map(encoded),
);
/** How Express reads a query value (`%ff` and friends decode to U+FFFD). */
const decoded = (value: string) => new URLSearchParams(`v=${value}`).get('v') ?? '';

/** States that are not ours: wrong length, wrong alphabet, hostile, empty. */
const foreignState = fc.oneof(
  hostile,
  fc.constantFrom('', 'abc', 'A'.repeat(21), 'A'.repeat(23), `${'A'.repeat(21)}%3d`, `${'A'.repeat(21)}.`, `${'A'.repeat(21)}+`),
  fc.string({ unit: fc.constantFrom(...B64URL.split('')), minLength: 1, maxLength: 64 }).filter((s) => s.length !== 22),
);

const goodCode = fc.constantFrom('cod-' + 'ab'.repeat(32), 'x', '%zz');
const goodIss = fc.constantFrom('http://localhost:2583', 'https://bsky.social');

/** Query strings of callbacks that cannot be ours, each built around one defect. */
const malformedCallbacks: fc.Arbitrary<string> = fc.oneof(
  // The issue's own probes.
  fc.constantFrom('state=%00%ff%fe&code=%zz', 'state=%00', 'state=abc%00def&code=x', '', 'code=x', 'error=access_denied', 'iss=x'),
  // A foreign state with otherwise plausible parameters.
  fc.tuple(foreignState, goodCode, goodIss).map(([s, c, i]) => `state=${s}&code=${c}&iss=${encoded(i)}`),
  // Our state's shape, but another parameter malformed.
  fc.tuple(wellFormedState, fc.constantFrom('code', 'iss', 'error', 'error_description', 'error_uri'), hostile).map(
    ([s, name, value]) => `state=${s}&${name === 'code' || name === 'iss' ? '' : 'code=x&'}${name}=${value}`,
  ),
  fc.tuple(wellFormedState, goodIss).map(([s, i]) => `state=${s}&iss=${encoded(i)}`),
  fc.tuple(wellFormedState, fc.constantFrom('state', 'code', 'iss', 'error')).map(([s, twice]) => `state=${s}&code=x&iss=http%3A%2F%2Flocalhost&${twice}=${twice === 'state' ? s : 'y'}`),
  fc.tuple(wellFormedState, fc.constantFrom('iss=localhost', 'iss=ftp%3A%2F%2Fx', 'iss=http%3A%2F%2F', 'response=eyJ.x.y', 'error=a%22b', 'code=')).map(([s, extra]) => `state=${s}&code=x&${extra}`),
);

describe('/auth/callback with a callback that cannot be ours', () => {
  it('the issue’s probes: 303 to auth_error=expired, no statement, no warn line', async () => {
    const from = app.logs.length;
    postgres.resetCounters();
    for (const query of ['state=%00%ff%fe&code=%zz', 'state=%00', 'state=abc%00def&code=x']) {
      const res = await rawRequest(app.url, `/auth/callback?${query}`);
      expect([query, res.status, res.headers.location, res.headers['cache-control']]).toEqual([query, 303, EXPIRED, 'no-store']);
    }
    expect(postgres.postgresStatements).toBe(0);
    expect(warnings(from)).toEqual([]);
  });

  it('a fuzz of callback parameters: always auth_error=expired, zero statements, no warn or error line', async () => {
    const from = app.logs.length;
    postgres.resetCounters();
    let probes = 0;
    await fc.assert(
      fc.asyncProperty(malformedCallbacks, async (query) => {
        probes += 1;
        const res = await rawRequest(app.url, `/auth/callback?${query}`);
        const what = `/auth/callback?${query.slice(0, 120)}`;
        if (res.status !== 303 || res.headers.location !== EXPIRED) throw new Error(`${what} → ${res.status} ${res.headers.location}`);
        if (postgres.postgresStatements !== 0) throw new Error(`${what} ran a database statement`);
      }),
      { numRuns: 300, endOnFailure: true },
    );
    expect(probes).toBeGreaterThanOrEqual(300);
    expect(postgres.postgresStatements).toBe(0);
    expect(warnings(from)).toEqual([]);
  });

  it('does look a well-formed state up, so the counter above can see a query (control)', async () => {
    postgres.resetCounters();
    const res = await rawRequest(app.url, `/auth/callback?state=${'A'.repeat(22)}&code=cod-${'ab'.repeat(32)}&iss=${encoded('http://localhost:2583')}`);
    expect([res.status, res.headers.location]).toEqual([303, EXPIRED]);
    expect(postgres.postgresStatements).toBeGreaterThan(0);
  });
});

describe('the other raw routes with hostile input', () => {
  const hostileQuery = fc.tuple(hostile, hostile).map(([name, value]) => `?${name}=${value}`);

  it('/auth/start with a malformed handle: 400 with a message, no statement, no warn line', async () => {
    const from = app.logs.length;
    postgres.resetCounters();
    // Hostile values that stay unusable once trimmed, as /auth/start trims.
    const handles = fc.oneof(hostile.filter((v) => /[^A-Za-z0-9.:@_-]/.test(decoded(v).trim())), fc.constantFrom('', '@', 'a..b', '-a.b', 'a.b-', 'did:plc:', 'did%3Aplc%3A%00'));
    await fc.assert(
      fc.asyncProperty(handles, async (handle) => {
        const res = await rawRequest(app.url, `/auth/start?handle=${handle}`);
        if (res.status !== 400) throw new Error(`handle=${handle.slice(0, 120)} → ${res.status}`);
        if (!(JSON.parse(res.text) as { error: { message: string } }).error.message) throw new Error('no message');
        if (postgres.postgresStatements !== 0) throw new Error(`handle=${handle.slice(0, 120)} ran a database statement`);
      }),
      { numRuns: 100, endOnFailure: true },
    );
    expect(postgres.postgresStatements).toBe(0);
    expect(warnings(from)).toEqual([]);
  });

  it('/health, /oauth-client-metadata.json and /.well-known/jwks.json ignore any query string and never touch the database', async () => {
    const from = app.logs.length;
    postgres.resetCounters();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(['/health', 200], ['/oauth-client-metadata.json', 200], ['/.well-known/jwks.json', 404]), hostileQuery, async ([path, status], query) => {
        const res = await rawRequest(app.url, `${path}${query}`);
        if (res.status !== status) throw new Error(`${path}${query.slice(0, 120)} → ${res.status}`);
      }),
      { numRuns: 60, endOnFailure: true },
    );
    expect(postgres.postgresStatements).toBe(0);
    expect(warnings(from)).toEqual([]);
  });

  it('/ready ignores any query string: 200, and only its own `select 1`', async () => {
    const from = app.logs.length;
    for (const [name, value] of fc.sample(fc.tuple(hostile, hostile), 20)) {
      postgres.resetCounters();
      const res = await rawRequest(app.url, `/ready?${name}=${value}`);
      expect(res.status).toBe(200);
      expect(postgres.postgresStatements).toBe(1);
    }
    expect(warnings(from)).toEqual([]);
  });

  it('logs a hostile URL only as a short excerpt', async () => {
    const from = app.logs.length;
    await rawRequest(app.url, `/health/${'%00'.repeat(2000)}?${'n'.repeat(5000)}=${'v'.repeat(5000)}`);
    const lines = app.logs.slice(from);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.length).toBeLessThan(1000);
      expect(line).not.toContain('v'.repeat(100));
    }
  });
});
