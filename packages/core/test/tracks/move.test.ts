import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracks, uploads } from '@plyr/db';
import { PermanentJobError, startJobRunner } from '../../src/jobs/index.js';
import { whenJobsIdle } from '@plyr/testing';
import {
  ABANDONED_UPLOAD_AGE_MS,
  findTrack,
  resumeStalledTrackSyncs,
  STALLED_SYNC_AGE_MS,
  sweepAbandonedUploads,
  syncTrack,
  writeTrackRecord,
  type MoveHooks,
  type TrackRow,
} from '../../src/tracks/index.js';
import { bucketsOf, getBlob, PUBLIC_URL, putAudio, readRecord, seedTrack, startCoreFixture, type CoreFixture } from './fixtures.js';

/** The move, run directly: interrupted at each step, then run again, it always converges. */

let f: CoreFixture;

beforeAll(async () => {
  f = await startCoreFixture();
});

afterAll(async () => {
  await f?.close();
});

/** What tracks.update does to the row on a gate change. */
async function setGate(row: TrackRow, gated: boolean): Promise<void> {
  await f.db.db
    .update(tracks)
    .set({ supportGate: gated ? { type: 'any' } : null, moving: true, recordCid: null, updatedAt: new Date() })
    .where(eq(tracks.id, row.id));
}

/** The first key of the track lock's advisory lock (src/tracks/track-lock.ts). */
const TRACK_LOCK_CLASS = 0x706c7972;

const jobFor = (row: TrackRow) => ({ trackId: row.id, fileId: row.fileId, fileType: row.fileType });
const crashAt = (step: keyof MoveHooks): MoveHooks => ({
  [step]: () => {
    throw new Error(`crash at ${step}`);
  },
});

/** A track as a settled public or gated one is: audio in place and its record written (with the blob when public). */
async function publishedTrack(opts: { supportGate?: { type: 'any' } | null; bytes?: Buffer } = {}): Promise<TrackRow> {
  const row = await seedTrack(f, opts);
  expect(await writeTrackRecord(f.services, row)).toBe(true);
  return (await findTrack(f.db.db, row.id))!;
}

const blobCidOf = (record: Record<string, unknown> | null) => (record?.audioBlob as { ref: { $link: string } }).ref.$link;

describe('syncTrack', () => {
  for (const step of ['afterCopy', 'beforeDeleteSource', 'beforeRecordWrite'] as const) {
    it(`converges when re-run after a crash at ${step} (public → gated), the blob withdrawn before any byte moves`, async () => {
      const row = await publishedTrack();
      const cid = blobCidOf(await readRecord(f, row));
      await setGate(row, true);
      await expect(syncTrack(f.services, jobFor(row), crashAt(step))).rejects.toThrow(`crash at ${step}`);

      const half = (await findTrack(f.db.db, row.id))!;
      // Never a state without the audio where the row points.
      expect(await bucketsOf(f, half)).toContain(half.bucket);
      expect(half.moving).toBe(true);
      const halfRecord = await readRecord(f, half);
      if (step === 'beforeRecordWrite') {
        // The first step of gating: nothing has moved and the public record still stands.
        expect(half).toMatchObject({ bucket: 'public', recordCid: null });
        expect(await bucketsOf(f, half)).toEqual(['public']);
        expect(blobCidOf(halfRecord)).toBe(cid);
      } else {
        // The bytes are on their way, and the PDS already serves them no more.
        expect(half.recordCid).not.toBeNull();
        expect(halfRecord).toMatchObject({ supportGate: { type: 'any' } });
        expect(halfRecord).not.toHaveProperty('audioBlob');
        expect((await getBlob(f, cid)).status).toBe(400);
      }

      await syncTrack(f.services, jobFor(row));
      const done = (await findTrack(f.db.db, row.id))!;
      expect(done).toMatchObject({ bucket: 'private', moving: false });
      expect(done.recordCid).not.toBeNull();
      expect(await bucketsOf(f, done)).toEqual(['private']);
      const record = await readRecord(f, done);
      expect(record).toMatchObject({ audioUrl: `${PUBLIC_URL}/audio/${row.fileId}`, supportGate: { type: 'any' } });
      expect(record).not.toHaveProperty('audioBlob');
      expect((await getBlob(f, cid)).status).toBe(400);
    });

    it(`converges when re-run after a crash at ${step} (gated → public), the blob uploaded once the bytes are public`, async () => {
      const bytes = randomBytes(2_000);
      const row = await publishedTrack({ supportGate: { type: 'any' }, bytes });
      await setGate(row, false);
      await expect(syncTrack(f.services, jobFor(row), crashAt(step))).rejects.toThrow(`crash at ${step}`);

      const half = (await findTrack(f.db.db, row.id))!;
      expect(await bucketsOf(f, half)).toContain(half.bucket);
      expect(half.recordCid).toBeNull();
      // Until the bytes are public the record stays the gated one, without a blob.
      expect(await readRecord(f, half)).toMatchObject({ supportGate: { type: 'any' } });

      await syncTrack(f.services, jobFor(row));
      const done = (await findTrack(f.db.db, row.id))!;
      expect(done).toMatchObject({ bucket: 'public', moving: false });
      expect(await bucketsOf(f, done)).toEqual(['public']);
      const record = await readRecord(f, done);
      expect(record).not.toHaveProperty('supportGate');
      expect(record).toMatchObject({ audioUrl: f.storage.cdnUrl(row.fileId, 'mp3'), audioBlob: { size: bytes.length } });
      const served = await getBlob(f, blobCidOf(record));
      expect(served.status).toBe(200);
      expect(served.bytes.equals(bytes)).toBe(true);
    });
  }

  it('is a no-op when run again on a settled track', async () => {
    const row = await seedTrack(f, { supportGate: { type: 'any' } });
    await syncTrack(f.services, jobFor(row));
    const first = (await findTrack(f.db.db, row.id))!;
    await syncTrack(f.services, jobFor(row));
    const second = (await findTrack(f.db.db, row.id))!;
    expect(second).toEqual(first);
    expect(await bucketsOf(f, second)).toEqual(['private']);
  });

  it('follows a gate flipped back in the middle of a move, leaving one object', async () => {
    const row = await seedTrack(f);
    await setGate(row, true);
    await syncTrack(f.services, jobFor(row), {
      // While the copy to private is verified, the artist un-gates again.
      afterCopy: () => setGate(row, false),
    });
    const done = (await findTrack(f.db.db, row.id))!;
    expect(done).toMatchObject({ bucket: 'public', moving: false, supportGate: null });
    expect(await bucketsOf(f, done)).toEqual(['public']);
    const record = await readRecord(f, done);
    expect(record).not.toHaveProperty('supportGate');
    expect(record).toMatchObject({ audioUrl: f.storage.cdnUrl(row.fileId, 'mp3') });
  });

  it('removes its copy when the track is deleted during the move', async () => {
    const row = await seedTrack(f);
    await setGate(row, true);
    await syncTrack(f.services, jobFor(row), {
      afterCopy: async () => {
        await f.db.db.delete(tracks).where(eq(tracks.id, row.id));
      },
    });
    expect(await bucketsOf(f, row)).toEqual([]);
  });

  it('adopts a verified copy when the source is already gone, and gives up for good when the audio is nowhere', async () => {
    const row = await seedTrack(f);
    await setGate(row, true);
    await expect(syncTrack(f.services, jobFor(row), crashAt('afterCopy'))).rejects.toThrow();
    await f.storage.delete('public', f.storage.audioKey(row.fileId, 'mp3'));
    await syncTrack(f.services, jobFor(row));
    expect((await findTrack(f.db.db, row.id))!.bucket).toBe('private');

    const lost = await seedTrack(f);
    await setGate(lost, true);
    await f.storage.delete('public', f.storage.audioKey(lost.fileId, 'mp3'));
    await expect(syncTrack(f.services, jobFor(lost))).rejects.toBeInstanceOf(PermanentJobError);
    expect((await findTrack(f.db.db, lost.id))!.bucket).toBe('public');
  });

  it('runs one move per track at a time, even when two are started together', async () => {
    const row = await seedTrack(f);
    await setGate(row, true);
    let inside = 0;
    let overlap = false;
    // The first move stays mid-step until the second is seen waiting for the track's lock (or inside with it).
    const waitingForLock = async () =>
      (
        await f.db.sql<[{ n: number }]>`
          select count(*)::int as n from pg_locks
          where locktype = 'advisory' and classid = ${TRACK_LOCK_CLASS} and objid = hashtext(${row.id})::oid and not granted
            and database = (select oid from pg_database where datname = current_database())`
      )[0]!.n;
    const hooks: MoveHooks = {
      afterCopy: async () => {
        inside += 1;
        overlap ||= inside > 1;
        await expect.poll(async () => inside > 1 || (await waitingForLock()) === 1, { timeout: 10_000, interval: 5 }).toBe(true);
        inside -= 1;
      },
    };
    await Promise.all([syncTrack(f.services, jobFor(row), hooks), syncTrack(f.services, jobFor(row), hooks)]);
    expect(overlap).toBe(false);
    expect(await bucketsOf(f, row)).toEqual(['private']);
  });
});

describe('maintenance', () => {
  it('sweeps staged uploads abandoned for more than a day, and only those', async () => {
    const stale = { id: randomUUID(), createdAt: new Date(Date.now() - ABANDONED_UPLOAD_AGE_MS - 60_000) };
    const fresh = { id: randomUUID(), createdAt: new Date(Date.now() - 60_000) };
    for (const upload of [stale, fresh]) {
      const stagingKey = f.storage.stagingKey(upload.id);
      await putAudio(f.storage, 'private', stagingKey, randomBytes(100));
      await f.db.db.insert(uploads).values({ ...upload, did: f.artist.did, stagingKey, filename: 'a.mp3', contentType: 'audio/mpeg', size: 100 });
    }
    expect(await sweepAbandonedUploads(f.services)).toBe(1);
    expect(await f.storage.head('private', f.storage.stagingKey(stale.id))).toBeNull();
    expect(await f.storage.head('private', f.storage.stagingKey(fresh.id))).not.toBeNull();
    const left = await f.db.db.select({ id: uploads.id }).from(uploads);
    expect(left.map((u) => u.id)).toEqual([fresh.id]);
  });

  it('re-enqueues moves and record writes whose job was lost, and only those', async () => {
    const stalled = await seedTrack(f);
    await setGate(stalled, true);
    await f.db.db
      .update(tracks)
      .set({ updatedAt: new Date(Date.now() - STALLED_SYNC_AGE_MS - 60_000) })
      .where(eq(tracks.id, stalled.id));
    const recent = await seedTrack(f);
    await setGate(recent, true);

    const ran: string[] = [];
    const noop = async () => {};
    const runner = await startJobRunner({
      databaseUrl: f.databaseUrl,
      logger: f.services.logger,
      processors: {
        'track-move': async (data) => {
          ran.push(data.trackId);
          await syncTrack(f.services, data);
        },
        'track-release': noop,
        'track-cleanup': noop,
        'like-record': noop,
        maintenance: noop,
        reconcile: noop,
      },
    });
    try {
      expect(await resumeStalledTrackSyncs(f.services)).toBe(1);
      // A track whose move is still queued is left to that job.
      expect(await resumeStalledTrackSyncs(f.services)).toBe(0);
      await whenJobsIdle(f.db.db);
    } finally {
      await runner.close();
    }
    expect(ran).toContain(stalled.id);
    expect(ran).not.toContain(recent.id);
    expect((await findTrack(f.db.db, stalled.id))!).toMatchObject({ bucket: 'private', moving: false });
  });
});
