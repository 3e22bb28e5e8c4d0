import { randomBytes } from 'node:crypto';
import { AtpAgent } from '@atproto/api';
import { pino } from 'pino';
import { createDb, tracks, users, type DbHandle, type SupportGate } from '@plyr/db';
import { createTestDatabase } from '@plyr/testing';
import { startTestS3 } from '@plyr/testing';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork, type TestAccount } from '@plyr/testing/atproto/network';
import { newTrackRecordUri } from '../../src/records/index.js';
import type { Services } from '../../src/services.js';
import { createStorage, type Storage } from '../../src/storage/index.js';
import { bucketForGate, findTrack, type TrackRow } from '../../src/tracks/index.js';
import { createMetrics } from '../../src/metrics.js';
import { createHotReads } from '../../src/cache/hot-reads.js';
import { createHotStore } from '../../src/cache/store.js';

/**
 * Core services over real Postgres, s3rver and a local PDS, for tests below the HTTP layer. The
 * artist writes records through a password session on the PDS (the OAuth path is covered end to
 * end in apps/server/test/tracks).
 */
export interface CoreFixture {
  services: Pick<Services, 'db' | 'storage' | 'auth' | 'config' | 'logger' | 'metrics' | 'hot'>;
  db: DbHandle;
  databaseUrl: string;
  storage: Storage;
  network: LocalAtprotoNetwork;
  artist: TestAccount;
  close(): Promise<void>;
}

export const PUBLIC_URL = 'http://api.plyr.test';

export async function startCoreFixture(): Promise<CoreFixture> {
  const database = await createTestDatabase();
  const db = await createDb({ url: database.url, max: 10 });
  const s3 = await startTestS3();
  const storage = createStorage(s3.config);
  const network = await startLocalAtprotoNetwork();
  const artist = await network.createAccount('coreartist');
  const agent = new AtpAgent({ service: network.pdsUrl });
  await agent.login({ identifier: artist.handle, password: artist.password });
  await db.db.insert(users).values({ did: artist.did, handle: artist.handle });
  const logger = pino({ enabled: false });
  const metrics = createMetrics();
  const services = {
    db: db.db,
    storage,
    logger,
    metrics,
    // Memory only (no Redis here): invalidated in place, as in a single process.
    hot: createHotReads(db.db, createHotStore({ redis: null, metrics, logger })),
    config: { publicUrl: PUBLIC_URL } as Services['config'],
    auth: { getAgent: async () => agent } as unknown as Services['auth'],
  };
  return {
    services,
    db,
    databaseUrl: database.url,
    storage,
    network,
    artist,
    async close() {
      await services.hot.close();
      storage.destroy();
      await db.close();
      await s3.close();
      await network.close();
      await database.drop();
    },
  };
}

/** Stores audio under `key` in `bucket`: a presigned PUT (into the private bucket, as clients upload), then a copy. */
export async function putAudio(storage: Storage, bucket: 'public' | 'private', key: string, bytes: Buffer): Promise<void> {
  const url = await storage.presignPut(key, { contentType: 'audio/mpeg', contentLength: bytes.length, expiresInSeconds: 60 });
  const res = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'audio/mpeg' }, body: new Uint8Array(bytes) });
  if (res.status !== 200) throw new Error(`PUT answered ${res.status}`);
  if (bucket === 'public') {
    await storage.copy({ bucket: 'private', key }, { bucket: 'public', key });
    await storage.delete('private', key);
  }
}

/** A track row whose audio sits where its gate says, as finalize leaves it (record not yet written). */
export async function seedTrack(f: CoreFixture, opts: { supportGate?: SupportGate | null; bytes?: Buffer } = {}): Promise<TrackRow> {
  const fileId = randomBytes(16).toString('hex');
  const supportGate = opts.supportGate ?? null;
  const bucket = bucketForGate(supportGate);
  await putAudio(f.storage, bucket, f.storage.audioKey(fileId, 'mp3'), opts.bytes ?? randomBytes(2_000));
  const now = new Date();
  const [row] = await f.db.db
    .insert(tracks)
    .values({
      fileId,
      artistDid: f.artist.did,
      title: 'Seeded',
      fileType: 'mp3',
      contentType: 'audio/mpeg',
      size: 2_000,
      supportGate,
      bucket,
      recordUri: newTrackRecordUri(f.artist.did),
      recordCreatedAt: now,
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: tracks.id });
  return (await findTrack(f.db.db, row!.id))!;
}

/** Which buckets hold the track's object. */
export async function bucketsOf(f: CoreFixture, row: Pick<TrackRow, 'fileId' | 'fileType'>): Promise<string[]> {
  const key = f.storage.audioKey(row.fileId, row.fileType);
  const found: string[] = [];
  for (const bucket of ['public', 'private'] as const) if (await f.storage.head(bucket, key)) found.push(bucket);
  return found;
}

export async function readRecord(f: CoreFixture, row: Pick<TrackRow, 'recordUri'>): Promise<Record<string, unknown> | null> {
  const rkey = row.recordUri!.split('/').pop()!;
  const params = new URLSearchParams({ repo: f.artist.did, collection: 'fm.plyr.track', rkey });
  const res = await fetch(`${f.network.pdsUrl}/xrpc/com.atproto.repo.getRecord?${params}`);
  if (res.status === 400) return null;
  return ((await res.json()) as { value: Record<string, unknown> }).value;
}

/** `com.atproto.sync.getBlob` from the artist's repository, unauthenticated (400 when the PDS serves no such blob). */
export async function getBlob(f: CoreFixture, cid: string): Promise<{ status: number; bytes: Buffer }> {
  const params = new URLSearchParams({ did: f.artist.did, cid });
  const res = await fetch(`${f.network.pdsUrl}/xrpc/com.atproto.sync.getBlob?${params}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}
