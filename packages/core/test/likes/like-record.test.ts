import { AtpAgent, CredentialSession, Agent } from '@atproto/api';
import { and, eq, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, likes, tracks, users, type DbHandle } from '@plyr/db';
import { createTestDatabase } from '@plyr/testing';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork, type TestAccount } from '@plyr/testing/atproto/network';
import {
  LIKE_COLLECTION,
  likeTrack as likeTrackInDb,
  listLikedTracks,
  syncLikeRecord,
  unlikeTrack as unlikeTrackInDb,
  type LikeRecordJobData,
} from '../../src/likes/index.js';
import type { Services } from '../../src/services.js';
import { queuedJobs } from '@plyr/testing';

/**
 * The like-record processor against a real PDS and a real database. The jobs a like or an unlike
 * commits are taken off the queue's table and run by the test, one by one, so that an unlike can be
 * placed exactly between the read and the write.
 * The listener's agent is a password session on the same PDS (the OAuth path is covered end to end
 * in apps/server/test/downloads).
 */

let network: LocalAtprotoNetwork;
let database: { url: string; drop: () => Promise<void> };
let handle: DbHandle;
let artist: TestAccount;
let listener: TestAccount;
let publicPds: AtpAgent;
let trackId: string;
let trackRecord: { uri: string; cid: string };
/** Runs just before the listener's PDS receives a putRecord (to race an unlike against it). */
let beforePut: (() => Promise<void>) | null = null;
let queued: LikeRecordJobData[] = [];

const logger = pino({ enabled: false });

async function passwordAgent(account: TestAccount): Promise<Agent> {
  const session = new CredentialSession(new URL(network.pdsUrl), async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (beforePut && url.includes('com.atproto.repo.putRecord')) {
      const hook = beforePut;
      beforePut = null;
      await hook();
    }
    return fetch(input, init);
  });
  await session.login({ identifier: account.handle, password: account.password });
  return new Agent(session);
}

function services(): Services {
  const agents = new Map<string, Promise<Agent>>();
  const accounts = new Map([artist, listener].map((a) => [a.did, a]));
  return {
    db: handle.db,
    logger,
    auth: {
      getAgent: (did: string) => {
        if (!agents.has(did)) agents.set(did, passwordAgent(accounts.get(did)!));
        return agents.get(did)!;
      },
    },
  } as unknown as Services;
}

/** Moves the jobs committed so far from the queue's table to `queued`, in order. */
async function takeCommittedJobs(): Promise<void> {
  const jobs = await queuedJobs(handle.db);
  for (const job of jobs) expect(job.task).toBe('like-record');
  queued.push(...jobs.map((job) => job.payload as LikeRecordJobData));
  if (jobs.length > 0) {
    await handle.db.execute(sql`select graphile_worker.complete_jobs(${`{${jobs.map((j) => j.id).join(',')}}`}::bigint[])`);
  }
}

async function likeTrack(...args: Parameters<typeof likeTrackInDb>): Promise<boolean> {
  const liked = await likeTrackInDb(...args);
  await takeCommittedJobs();
  return liked;
}

async function unlikeTrack(...args: Parameters<typeof unlikeTrackInDb>): Promise<boolean> {
  const unliked = await unlikeTrackInDb(...args);
  await takeCommittedJobs();
  return unliked;
}

let svc: Services;

async function runQueuedJobs(): Promise<void> {
  while (queued.length > 0) {
    await syncLikeRecord(svc, queued.shift()!);
  }
}

async function likeRecords(): Promise<Array<{ uri: string; value: Record<string, unknown> }>> {
  const { data } = await publicPds.com.atproto.repo.listRecords({ repo: listener.did, collection: LIKE_COLLECTION });
  return data.records as Array<{ uri: string; value: Record<string, unknown> }>;
}

async function likeRow() {
  const [row] = await handle.db
    .select()
    .from(likes)
    .where(and(eq(likes.did, listener.did), eq(likes.trackId, trackId)));
  return row;
}

beforeAll(async () => {
  [network, database] = await Promise.all([startLocalAtprotoNetwork(), createTestDatabase()]);
  handle = await createDb({ url: database.url, max: 4 });
  artist = await network.createAccount('likes-artist');
  listener = await network.createAccount('likes-listener');
  publicPds = new AtpAgent({ service: network.pdsUrl });
  svc = services();
  await handle.db.insert(users).values([
    { did: artist.did, handle: artist.handle },
    { did: listener.did, handle: listener.handle },
  ]);
  const artistAgent = await svc.auth.getAgent(artist.did);
  const { data } = await artistAgent.com.atproto.repo.createRecord({
    repo: artist.did,
    collection: 'fm.plyr.track',
    record: { $type: 'fm.plyr.track', title: 'Morning', artist: artist.handle, audioUrl: 'https://cdn.example/audio/a.mp3', fileType: 'mp3', createdAt: new Date().toISOString() },
  });
  trackRecord = { uri: data.uri, cid: data.cid };
  const [track] = await handle.db
    .insert(tracks)
    .values({
      fileId: 'likes-track-1',
      artistDid: artist.did,
      title: 'Morning',
      fileType: 'mp3',
      contentType: 'audio/mpeg',
      size: 1000,
      bucket: 'public',
      recordUri: trackRecord.uri,
      recordCid: trackRecord.cid,
    })
    .returning({ id: tracks.id });
  trackId = track!.id;
});

afterAll(async () => {
  await handle?.close();
  await database?.drop();
  await network?.close();
});

beforeEach(async () => {
  queued = [];
  beforePut = null;
  await unlikeTrack(svc, listener.did, trackId);
  await runQueuedJobs();
  for (const record of await likeRecords()) {
    const rkey = record.uri.split('/').pop()!;
    const agent = await svc.auth.getAgent(listener.did);
    await agent.com.atproto.repo.deleteRecord({ repo: listener.did, collection: LIKE_COLLECTION, rkey });
  }
});

describe('like', () => {
  it('stores the like at once and writes fm.plyr.like { subject: { uri, cid }, createdAt } to the listener PDS', async () => {
    expect(await likeTrack(svc, listener.did, trackId)).toBe(true);
    const pending = await likeRow();
    expect(pending?.recordCid).toBeNull();
    expect((await listLikedTracks(handle.db, listener.did)).map((l) => l.id)).toEqual([trackId]);

    await runQueuedJobs();
    const records = await likeRecords();
    expect(records).toHaveLength(1);
    expect(records[0]!.uri).toBe(pending!.recordUri);
    expect(records[0]!.value).toEqual({
      $type: LIKE_COLLECTION,
      subject: trackRecord,
      createdAt: pending!.createdAt.toISOString(),
    });
    expect((await likeRow())?.recordCid).toMatch(/^bafy/);
  });

  it('is idempotent: liking twice keeps one like and one record', async () => {
    await likeTrack(svc, listener.did, trackId);
    await likeTrack(svc, listener.did, trackId);
    await runQueuedJobs();
    await likeTrack(svc, listener.did, trackId);
    expect(queued).toHaveLength(0); // written already: nothing more to do
    await runQueuedJobs();
    expect(await likeRecords()).toHaveLength(1);
    expect(await listLikedTracks(handle.db, listener.did)).toHaveLength(1);
  });

  it('retries of the same write leave one record', async () => {
    await likeTrack(svc, listener.did, trackId);
    const job = queued[0]!;
    await runQueuedJobs();
    queued.push(job);
    await runQueuedJobs();
    expect(await likeRecords()).toHaveLength(1);
  });

  it('answers false for an unknown track and stores nothing', async () => {
    expect(await likeTrack(svc, listener.did, '00000000-0000-4000-8000-000000000000')).toBe(false);
    expect(await unlikeTrack(svc, listener.did, '00000000-0000-4000-8000-000000000000')).toBe(false);
    expect(queued).toHaveLength(0);
    expect(await listLikedTracks(handle.db, listener.did)).toEqual([]);
  });
});

describe('unlike', () => {
  it('removes the like and deletes the record from the PDS; a second unlike is a no-op', async () => {
    await likeTrack(svc, listener.did, trackId);
    await runQueuedJobs();
    expect(await likeRecords()).toHaveLength(1);

    expect(await unlikeTrack(svc, listener.did, trackId)).toBe(true);
    expect(await likeRow()).toBeUndefined();
    await runQueuedJobs();
    expect(await likeRecords()).toEqual([]);

    expect(await unlikeTrack(svc, listener.did, trackId)).toBe(true);
    await runQueuedJobs();
    expect(await likeRecords()).toEqual([]);
  });

  it('leaves no record when the unlike comes before the write job runs', async () => {
    await likeTrack(svc, listener.did, trackId);
    await unlikeTrack(svc, listener.did, trackId);
    // The delete runs first, then the late write finds the like gone.
    queued.reverse();
    await runQueuedJobs();
    expect(await likeRecords()).toEqual([]);
  });

  it('leaves no record when the unlike and its delete land while the write is in flight', async () => {
    await likeTrack(svc, listener.did, trackId);
    const write = queued.shift()!;
    beforePut = async () => {
      await unlikeTrack(svc, listener.did, trackId);
      await runQueuedJobs(); // the delete job, before the put reaches the PDS
    };
    queued.push(write);
    await runQueuedJobs();
    expect(beforePut).toBeNull();
    expect(await likeRow()).toBeUndefined();
    expect(await likeRecords()).toEqual([]);
  });

  it('unlike then like again while the first write is in flight ends with exactly the new like record', async () => {
    await likeTrack(svc, listener.did, trackId);
    const firstUri = (await likeRow())!.recordUri;
    const write = queued.shift()!;
    beforePut = async () => {
      await unlikeTrack(svc, listener.did, trackId);
      await runQueuedJobs(); // the delete job, before the first put reaches the PDS
      await likeTrack(svc, listener.did, trackId);
    };
    queued.push(write);
    await runQueuedJobs();
    const records = await likeRecords();
    const row = await likeRow();
    expect(row?.recordUri).not.toBe(firstUri);
    expect(records.map((r) => r.uri)).toEqual([row!.recordUri]);
  });
});

describe('listLikedTracks', () => {
  it('lists the newest like first', async () => {
    const [second] = await handle.db
      .insert(tracks)
      .values({ fileId: 'likes-track-2', artistDid: artist.did, title: 'Evening', fileType: 'flac', contentType: 'audio/flac', size: 10, bucket: 'public' })
      .returning({ id: tracks.id });
    await likeTrack(svc, listener.did, trackId);
    await likeTrack(svc, listener.did, second!.id);
    const liked = await listLikedTracks(handle.db, listener.did);
    expect(liked.map((l) => [l.title, l.artistHandle])).toEqual([
      ['Evening', artist.handle],
      ['Morning', artist.handle],
    ]);
    expect(await listLikedTracks(handle.db, artist.did)).toEqual([]);
    await unlikeTrack(svc, listener.did, second!.id);
    queued = [];
  });
});
