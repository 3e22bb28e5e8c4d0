import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '@plyr/db';
import { createAppSession } from '@plyr/core/auth';
import { startTestApp, type TestApp } from '../support/index.js';
import { remaining, send, statuses } from './client.js';

const LIMITS = { RATE_LIMIT_DEFAULT: '5/minute' };
const PASSED = [200, 200, 200, 200, 200];
// Made-up credentials may be answered 401 or 200 by the procedure; what matters here is 429 or not.
const LIMITED_ON_6TH = [false, false, false, false, false, true];
const refused = (statuses: number[]) => statuses.map((s) => s === 429);
const secret = () => randomBytes(32).toString('base64url');
const listTracks = (app: TestApp, from: string, headers?: Record<string, string>) =>
  send(app.url, `/trpc/tracks.list?input=${encodeURIComponent('{}')}`, { from, headers });

describe('client keys with no trusted proxy', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(LIMITS);
  });
  afterAll(() => app.close());

  it('a client cannot dodge the limit by sending a different X-Forwarded-For each time', async () => {
    const answers: number[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const round = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          listTracks(app, '127.0.2.1', { 'x-forwarded-for': `198.51.100.${batch * 20 + i}` }),
        ),
      );
      answers.push(...round.map((a) => a.status));
    }
    expect(answers.filter((s) => s === 200)).toHaveLength(5);
    expect(answers.filter((s) => s === 429)).toHaveLength(195);
  });

  it('different addresses have separate counters', async () => {
    expect(await statuses(5, () => listTracks(app, '127.0.2.2'))).toEqual(PASSED);
    expect((await listTracks(app, '127.0.2.2')).status).toBe(429);
    expect((await listTracks(app, '127.0.2.3')).status).toBe(200);
  });

  /** A live session cookie and developer token for a new user: only live credentials are keys. */
  async function signedInUser(name: string) {
    const did = `did:plc:${name.padEnd(24, 'x')}`;
    await app.services.db.insert(users).values({ did, handle: `${name}.test` });
    const session = await createAppSession(app.services.db, did);
    const token = await app.services.auth.developerTokens.create(did, { name: 'rate-limit test' });
    return { cookie: `session_id=${session.token}`, authorization: `Bearer ${token.token}` };
  }

  it('one session cookie pays once wherever it comes from', async () => {
    const { cookie } = await signedInUser('cookieone');
    const alternating = await statuses(6, (i) => listTracks(app, i % 2 ? '127.0.2.4' : '127.0.2.5', { cookie }));
    expect(refused(alternating)).toEqual(LIMITED_ON_6TH);
    // The address itself was not charged: without the cookie it still has its whole allowance.
    expect(remaining((await listTracks(app, '127.0.2.4')).headers)).toEqual({ default: 4 });
  });

  it('two users behind one address do not share a counter', async () => {
    const alice = await signedInUser('alicecount');
    const bob = await signedInUser('bobcount');
    expect(refused(await statuses(6, () => listTracks(app, '127.0.2.6', { cookie: alice.cookie })))).toEqual(LIMITED_ON_6TH);
    expect((await listTracks(app, '127.0.2.6', { cookie: bob.cookie })).status).toBe(200);
    expect((await listTracks(app, '127.0.2.6')).status).toBe(200);
  });

  it('a bearer token pays once wherever it comes from, apart from other tokens', async () => {
    const { authorization } = await signedInUser('tokenone');
    const other = await signedInUser('tokentwo');
    const alternating = await statuses(6, (i) => listTracks(app, i % 2 ? '127.0.2.7' : '127.0.2.8', { authorization }));
    expect(refused(alternating)).toEqual(LIMITED_ON_6TH);
    expect((await listTracks(app, '127.0.2.7', { authorization: other.authorization })).status).toBe(200);
    expect((await listTracks(app, '127.0.2.7')).status).toBe(200);
  });

  it('the cookie wins over a bearer token sent with it', async () => {
    const { cookie } = await signedInUser('cookiewins');
    const rotatingTokens = await statuses(6, () => listTracks(app, '127.0.2.9', { cookie, authorization: `Bearer ${secret()}` }));
    expect(refused(rotatingTokens)).toEqual(LIMITED_ON_6TH);
  });

  it("one account's cookie and tokens share one budget: a token minted over the limit is refused too", async () => {
    const { cookie, authorization } = await signedInUser('oneaccount');
    expect(refused(await statuses(6, () => listTracks(app, '127.0.2.12', { cookie })))).toEqual(LIMITED_ON_6TH);
    // Minting is an auth-group call, so it is served; the token it returns pays from the same account.
    const minted = await send(app.url, '/trpc/auth.developerTokens.create', { from: '127.0.2.12', headers: { cookie }, json: { name: 'fresh budget?' } });
    expect(minted.status).toBe(200);
    const fresh = `Bearer ${minted.body.result.data.token}`;
    expect((await listTracks(app, '127.0.2.13', { authorization: fresh })).status).toBe(429);
    // So is the token the account had before, from anywhere.
    expect((await listTracks(app, '127.0.2.14', { authorization })).status).toBe(429);
  });

  it('made-up cookies and tokens buy no fresh counter: they pay as their address', async () => {
    const cookies = await statuses(6, () => listTracks(app, '127.0.2.10', { cookie: `session_id=${secret()}` }));
    expect(refused(cookies)).toEqual(LIMITED_ON_6TH);
    const tokens = await statuses(6, () => listTracks(app, '127.0.2.11', { authorization: `Bearer ${secret()}` }));
    expect(refused(tokens)).toEqual(LIMITED_ON_6TH);
  });
});

describe('client keys behind one trusted proxy (TRUST_PROXY=1)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ ...LIMITS, TRUST_PROXY: '1' });
  });
  afterAll(() => app.close());

  // Every request comes from the same socket address: the proxy's.
  const viaProxy = (client: string) => listTracks(app, '127.0.3.1', { 'x-forwarded-for': client });

  it('clients behind the proxy have separate counters, and the proxy address is never the key', async () => {
    expect(await statuses(5, () => viaProxy('203.0.113.1'))).toEqual(PASSED);
    expect((await viaProxy('203.0.113.1')).status).toBe(429);
    expect((await viaProxy('203.0.113.2')).status).toBe(200);
    expect(remaining((await viaProxy('203.0.113.3')).headers)).toEqual({ default: 4 });
  });

  it('the address the proxy appended counts, not what the client wrote before it', async () => {
    const spoofed = await statuses(6, (i) => viaProxy(`198.51.100.${i}, 203.0.113.4`));
    expect(spoofed).toEqual([...PASSED, 429]);
  });

  it('IPv6 clients count per /56, so rotating addresses inside one allocation does not help', async () => {
    const rotating = await statuses(6, (i) => viaProxy(`2001:db8:0:1${i}::${i + 1}`));
    expect(rotating).toEqual([...PASSED, 429]);
    expect((await viaProxy('2001:db8:0:100::1')).status).toBe(200);
  });
});
