import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AtpAgent, AtUri } from '@atproto/api';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSupporterService, type SupporterService, type SupporterServiceOptions } from '@plyr/core/supporters';
import { createTestRedisUrl, didForTest, startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork, type TestAccount } from '@plyr/testing/atproto/network';
import { loginAs } from '@plyr/testing/atproto/login';
import { pdsSwitch } from '../reliability/support/pds-switch.js';
import { anonymous, ok, query, uploadTrack, type Caller } from '../tracks/helpers.js';

/**
 * attested.network payment proofs as a supporter source, on the local PDS: real accounts write
 * their own payment records, brokers their own proofs, and the service reads them back.
 */

const ONE_TIME = 'network.attested.payment.oneTime';
const RECURRING = 'network.attested.payment.recurring';
const PROOF = 'network.attested.payment.proof';
type PaymentCollection = typeof ONE_TIME | typeof RECURRING;

interface Account extends TestAccount {
  agent: AtpAgent;
}

let network: LocalAtprotoNetwork;
let fans: FakeAtprotofans;
let redis: Redis;
let artist: Account;
let otherArtist: Account;
let broker: Account;
let untrustedBroker: Account;
let accounts = 0;

async function account(name: string): Promise<Account> {
  const created = await network.createAccount(name);
  const agent = new AtpAgent({ service: network.pdsUrl });
  await agent.login({ identifier: created.handle, password: created.password });
  return { ...created, agent };
}

/** A fresh supporter for each test, so no record or cached answer of another test is in the way. */
const newSupporter = () => account(`payer${(accounts += 1)}`);

interface PaymentOptions {
  collection?: PaymentCollection;
  broker?: Account;
  status?: string;
  /** Where the broker writes its proof, if not at the payment's own rkey. */
  proofRkey?: string;
}

/** The payer writes the payment, the broker its proof, and the payer then references that proof (the order a broker's checkout follows). */
async function pay(payer: Account, subject: Account, options: PaymentOptions = {}) {
  const collection = options.collection ?? ONE_TIME;
  const attestor = options.broker ?? broker;
  const record: Record<string, unknown> = {
    $type: collection,
    subject: subject.did,
    amount: 500,
    currency: 'USD',
    txnid: `txn-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    createdAt: new Date().toISOString(),
    ...(collection === RECURRING ? { unit: 'monthly', frequency: 1 } : {}),
  };
  const written = await payer.agent.com.atproto.repo.createRecord({ repo: payer.did, collection, record });
  const rkey = new AtUri(written.data.uri).rkey;
  const proofRkey = options.proofRkey ?? rkey;
  const proofValue = { $type: PROOF, cid: written.data.cid, status: options.status ?? 'verified' };
  const proof = await attestor.agent.com.atproto.repo.putRecord({
    repo: attestor.did,
    collection: PROOF,
    rkey: proofRkey,
    record: proofValue,
  });
  await payer.agent.com.atproto.repo.putRecord({
    repo: payer.did,
    collection,
    rkey,
    record: { ...record, signatures: [{ $type: 'com.atproto.repo.strongRef', uri: proof.data.uri, cid: proof.data.cid }] },
  });
  return {
    rkey,
    collection,
    /** Rewrites the broker's proof (a new CID), as an edit after the payment referenced it would. */
    editProof: (changes: Record<string, unknown>) =>
      attestor.agent.com.atproto.repo.putRecord({
        repo: attestor.did,
        collection: PROOF,
        rkey: proofRkey,
        record: { ...proofValue, ...changes },
      }),
    cancel: () => payer.agent.com.atproto.repo.deleteRecord({ repo: payer.did, collection, rkey }),
  };
}

function service(overrides: Partial<SupporterServiceOptions> = {}): SupporterService {
  return createSupporterService({
    atprotofansUrl: fans.url,
    redis,
    cacheTtlSeconds: 60,
    sources: ['attested', 'atprotofans'],
    attested: { trustedBrokers: [broker.did], plcUrl: network.plcUrl, ssrfProtection: false, timeoutMs: 5_000 },
    timeoutMs: 500,
    ...overrides,
  });
}

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  fans = await startFakeAtprotofans();
  redis = new Redis(await createTestRedisUrl());
  [artist, otherArtist, broker, untrustedBroker] = (await Promise.all(
    ['attartist', 'attother', 'attbroker', 'attrogue'].map((name) => account(name)),
  )) as [Account, Account, Account, Account];
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await fans?.close();
  await network?.close();
});

beforeEach(async () => {
  await redis.flushdb();
  fans.reset();
  fans.setSupporters([]);
});

describe('attested.network payment proofs', () => {
  it('proves a supporter with a verified one-time payment while atprotofans says no, without asking atprotofans', async () => {
    const payer = await newSupporter();
    await pay(payer, artist);
    expect(await service().checkWithSource(payer.did, artist.did)).toEqual({ outcome: 'supporter', source: 'attested' });
    expect(fans.requests).toBe(0);
  });

  it('proves a supporter with a verified recurring payment while atprotofans is down', async () => {
    const payer = await newSupporter();
    await pay(payer, artist, { collection: RECURRING });
    fans.setMode('error500');
    expect(await service().checkWithSource(payer.did, artist.did)).toEqual({ outcome: 'supporter', source: 'attested' });
    expect(fans.requests).toBe(0);
  });

  it.each(['pending', 'transferred'])('a proof with status %s is no', async (status) => {
    const payer = await newSupporter();
    await pay(payer, artist, { status });
    expect(await service().checkWithSource(payer.did, artist.did)).toEqual({ outcome: 'not_supporter', source: null });
    expect(fans.requests).toBe(1);
  });

  it("a proof in an untrusted broker's repository is no", async () => {
    const payer = await newSupporter();
    await pay(payer, artist, { broker: untrustedBroker });
    expect(await service().check(payer.did, artist.did)).toBe('not_supporter');
    // The same records count once that broker is trusted: the refusal above was the trust rule alone.
    await redis.flushdb();
    const trustingIt = service({ attested: { trustedBrokers: [untrustedBroker.did], plcUrl: network.plcUrl, ssrfProtection: false } });
    expect(await trustingIt.check(payer.did, artist.did)).toBe('supporter');
  });

  it('a proof edited after the payment referenced it (its CID no longer matches) is no', async () => {
    const payer = await newSupporter();
    const payment = await pay(payer, artist);
    expect(await service().check(payer.did, artist.did)).toBe('supporter');
    await payment.editProof({ note: 'rewritten' });
    await redis.flushdb();
    expect(await service().check(payer.did, artist.did)).toBe('not_supporter');
  });

  it('a payment for another artist is no for this one', async () => {
    const payer = await newSupporter();
    await pay(payer, otherArtist);
    const answers = await service().resolveSupportedArtists(payer.did, [artist.did, otherArtist.did]);
    expect(Object.fromEntries(answers)).toEqual({ [artist.did]: 'not_supporter', [otherArtist.did]: 'supporter' });
  });

  it('a proof at a different rkey than the payment is no', async () => {
    const payer = await newSupporter();
    await pay(payer, artist, { proofRkey: '3zzzzzzzzzzzz' });
    expect(await service().check(payer.did, artist.did)).toBe('not_supporter');
  });

  it('a deleted payment record (a cancelled subscription) stops counting once the cached answer expires', async () => {
    const payer = await newSupporter();
    const payment = await pay(payer, artist, { collection: RECURRING });
    const supporters = service({ cacheTtlSeconds: 2 });
    expect(await supporters.check(payer.did, artist.did)).toBe('supporter');
    await payment.cancel();
    expect(await supporters.check(payer.did, artist.did)).toBe('supporter');
    await expect.poll(() => supporters.check(payer.did, artist.did), { timeout: 15_000, interval: 200 }).toBe('not_supporter');
  });

  it('a payment record that is not what its lexicon says is a failure, not a no', async () => {
    const payer = await newSupporter();
    await payer.agent.com.atproto.repo.createRecord({
      repo: payer.did,
      collection: ONE_TIME,
      record: { $type: ONE_TIME, subject: artist.did, amount: 'five dollars' },
    });
    const supporters = service();
    expect(await supporters.check(payer.did, artist.did)).toBe('unavailable');
    expect(await redis.keys('*')).toEqual([]);
    // atprotofans' yes still wins: any source's yes is enough.
    fans.addSupporter(payer.did, artist.did);
    expect(await supporters.checkWithSource(payer.did, artist.did)).toEqual({ outcome: 'supporter', source: 'atprotofans' });
  });

  it("the viewer's PDS unreachable and atprotofans down is unavailable, never no, and not cached", async () => {
    const payer = await newSupporter();
    await pay(payer, artist);
    const pds = pdsSwitch(network);
    fans.setMode('error500');
    const supporters = service({ attested: { trustedBrokers: [broker.did], plcUrl: network.plcUrl, ssrfProtection: false, timeoutMs: 2_000 } });
    await pds.down();
    try {
      expect(await supporters.check(payer.did, artist.did)).toBe('unavailable');
      expect(await redis.keys('*')).toEqual([]);
    } finally {
      await pds.up();
    }
    expect(await supporters.checkWithSource(payer.did, artist.did)).toEqual({ outcome: 'supporter', source: 'attested' });
  });

  it('outside development, a PDS on a private or plain-http host is refused: no answer, not a no', async () => {
    const payer = await newSupporter();
    await pay(payer, artist);
    const guarded = service({ attested: { trustedBrokers: [broker.did], plcUrl: network.plcUrl, ssrfProtection: true } });
    // The local PDS is http://localhost: refused before any request, so there is no answer, not a no.
    expect(await guarded.check(payer.did, artist.did)).toBe('unavailable');
    await redis.flushdb();
    expect(await service().check(payer.did, artist.did)).toBe('supporter');
  });

  it('reads the payment records page by page, newest first, up to its bound', async () => {
    const payer = await newSupporter();
    await pay(payer, artist);
    // 150 newer payments to someone else push the artist's onto the second page of 100.
    await payer.agent.com.atproto.repo.applyWrites({
      repo: payer.did,
      writes: Array.from({ length: 150 }, (_, i) => ({
        $type: 'com.atproto.repo.applyWrites#create' as const,
        collection: ONE_TIME,
        value: { $type: ONE_TIME, subject: otherArtist.did, amount: 100, currency: 'EUR', txnid: `tip-${i}`, createdAt: new Date().toISOString() },
      })),
    });
    const attested = { trustedBrokers: [broker.did], plcUrl: network.plcUrl, ssrfProtection: false };
    expect(await service({ attested: { ...attested, maxPages: 1 } }).check(payer.did, artist.did)).toBe('not_supporter');
    await redis.flushdb();
    expect(await service({ attested: { ...attested, maxPages: 2 } }).check(payer.did, artist.did)).toBe('supporter');
  });

  it('a DID the directory does not know has no payment records: a no, and atprotofans decides', async () => {
    const unknown = didForTest('registered nowhere');
    expect(await service().checkWithSource(unknown, artist.did)).toEqual({ outcome: 'not_supporter', source: null });
    await redis.flushdb();
    fans.addSupporter(unknown, artist.did);
    expect(await service().checkWithSource(unknown, artist.did)).toEqual({ outcome: 'supporter', source: 'atprotofans' });
  });

  it('caches the answer with its source, shared by a second instance', async () => {
    const payer = await newSupporter();
    await pay(payer, artist);
    expect(await service().checkWithSource(payer.did, artist.did)).toEqual({ outcome: 'supporter', source: 'attested' });
    const second = service();
    expect(await second.checkWithSource(payer.did, artist.did)).toEqual({ outcome: 'supporter', source: 'attested' });
    expect(second.upstreamRequests).toBe(0);
  });

  it('concurrent checks of one pair share one walk of the records', async () => {
    const payer = await newSupporter();
    await pay(payer, artist);
    const alone = service();
    await alone.check(payer.did, artist.did);
    await redis.flushdb();
    const shared = service();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => shared.check(payer.did, artist.did)));
    expect(new Set(outcomes)).toEqual(new Set(['supporter']));
    expect(shared.upstreamRequests).toBe(alone.upstreamRequests);
  });

  it('a batch reads the viewer\'s records once for every artist in it', async () => {
    const payer = await newSupporter();
    await pay(payer, artist);
    await pay(payer, otherArtist);
    const single = service();
    await single.check(payer.did, artist.did);
    await redis.flushdb();
    const batch = service();
    const answers = await batch.resolveSupportedArtists(payer.did, [artist.did, otherArtist.did]);
    expect(Object.fromEntries(answers)).toEqual({ [artist.did]: 'supporter', [otherArtist.did]: 'supporter' });
    // One DID resolution and one listing per collection, then one proof read per artist.
    expect(batch.upstreamRequests).toBe(single.upstreamRequests + 1);
  });
});

/** A did:web viewer on loopback whose DID document names a PDS the test controls, to make that PDS misbehave. */
async function didWebViewer(pds: (res: ServerResponse) => void) {
  const servers: Server[] = [];
  const listen = async (handler: Parameters<typeof createServer>[1]) => {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return (server.address() as AddressInfo).port;
  };
  const pdsPort = await listen((_req, res) => pds(res));
  let did = '';
  const didPort = await listen((req, res) => {
    res.writeHead(req.url === '/.well-known/did.json' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: did,
        service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: `http://127.0.0.1:${pdsPort}` }],
      }),
    );
  });
  did = `did:web:localhost%3A${didPort}`;
  return {
    did,
    close: () =>
      Promise.all(
        servers.map((server) => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); })),
      ),
  };
}

describe("a viewer's PDS that misbehaves", () => {
  it('never answering: the check gives up at its budget with no answer, and atprotofans still decides', async () => {
    const viewer = await didWebViewer(() => {}); // holds every request open
    try {
      const supporters = service({ attested: { trustedBrokers: [broker.did], plcUrl: network.plcUrl, ssrfProtection: false, timeoutMs: 300 } });
      expect(await supporters.check(viewer.did, artist.did)).toBe('unavailable');
      fans.addSupporter(viewer.did, artist.did);
      expect(await supporters.checkWithSource(viewer.did, artist.did)).toEqual({ outcome: 'supporter', source: 'atprotofans' });
    } finally {
      await viewer.close();
    }
  });

  it.each([
    ['truncated JSON', '{"records": ['],
    ['records that are not a list', '{"records": {"uri": "x"}}'],
  ])('answering %s: no answer, not a no', async (_name, body) => {
    const viewer = await didWebViewer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    try {
      expect(await service().check(viewer.did, artist.did)).toBe('unavailable');
      expect(await redis.keys('*')).toEqual([]);
    } finally {
      await viewer.close();
    }
  });

  it('answering an empty repository: a no', async () => {
    const viewer = await didWebViewer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"records": []}');
    });
    try {
      expect(await service().check(viewer.did, artist.did)).toBe('not_supporter');
    } finally {
      await viewer.close();
    }
  });
});

describe('through the API', () => {
  let app: TestApp;
  let gatedFileId: string;
  let payerDid: string;
  let payerCaller: Caller;
  let strangerCaller: Caller;

  beforeAll(async () => {
    app = await startTestApp({
      ...network.env,
      ATPROTOFANS_URL: fans.url,
      SUPPORTER_SOURCES: 'attested,atprotofans',
      ATTESTED_TRUSTED_BROKERS: broker.did,
      RATE_LIMIT_ENABLED: 'false',
    });
    const [payer, stranger] = await Promise.all([newSupporter(), newSupporter()]);
    await pay(payer!, artist);
    payerDid = payer!.did;
    const artistCaller = await loginAs(app, artist.handle, artist.password);
    payerCaller = await loginAs(app, payer!.handle, payer!.password);
    strangerCaller = await loginAs(app, stranger!.handle, stranger!.password);
    gatedFileId = (await uploadTrack(app, artistCaller, { title: 'For payers', supportGate: { type: 'any' } })).fileId;
  }, 120_000);

  afterAll(() => app?.close());

  const audio = (who: Caller) => fetch(`${app.url}/audio/${gatedFileId}`, { redirect: 'manual', headers: who.headers });

  it('/audio redirects an attested supporter (307) and supporters.check names the source', async () => {
    const res = await audio(payerCaller);
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBeTruthy();
    const check = await query(app, payerCaller, 'supporters.check', { artistDid: artist.did });
    expect(ok(check)).toEqual({ supporter: true, source: 'attested' });
    expect(fans.requestLog.filter((r) => r.supporter === payerDid)).toEqual([]);
  });

  it('answers 402 to a signed-in viewer with no payment, after both sources said no', async () => {
    expect((await audio(strangerCaller)).status).toBe(402);
    expect((await audio(anonymous)).status).toBe(401);
    const check = await query(app, strangerCaller, 'supporters.check', { artistDid: artist.did });
    expect(ok(check)).toEqual({ supporter: false, source: null });
  });
});
