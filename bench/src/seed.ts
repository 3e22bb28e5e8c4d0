import { randomBytes } from 'node:crypto';
import { tracks, users, type Db } from '@plyr/db';
import { createAppSession } from '@plyr/core/auth';
import { didForTest } from '@plyr/testing';

/**
 * The bench's data, written straight to the database: 20 artists, 10,000 tracks (newest first,
 * artists round-robin; artists 0-9 gate every third of their tracks), and four signed-in viewers.
 * Objects in S3 are not needed: public answers and presigned URLs are computed, never fetched.
 */
export const TRACK_COUNT = 10_000;
export const ARTIST_COUNT = 20;
const GATING_ARTISTS = 10;
/** The supporter supports artists 0-4 (0 is also the owner below); 5-9 gate tracks the supporter cannot play. */
const SUPPORTED_ARTISTS = 5;
/** Enough distinct tracks per scenario that a per-track cache is exercised like real traffic. */
const ROTATION = 1_000;
const INSERT_CHUNK = 1_000;

export interface Fixture {
  artists: string[];
  /** Public tracks' file ids. */
  publicFileIds: string[];
  /** Gated tracks of artists 1-4, which the supporter supports. */
  supportedGatedFileIds: string[];
  /** Gated tracks of artists 5-9, which nobody supports. */
  unsupportedGatedFileIds: string[];
  /** The owner's (artist 0's) gated tracks. */
  ownerGatedFileIds: string[];
  /** App session secrets, sent as the `session_id` cookie. */
  sessions: { supporter: string; nonSupporter: string; owner: string; stampede: string };
  /** A gated track whose (stampede viewer, artist) pair nothing else asks about, so its cache is cold. */
  stampede: { fileId: string };
  /** (supporter, artist) pairs the stand-in atprotofans answers yes to. */
  supporterPairs: Array<readonly [string, string]>;
}

const isGated = (i: number) => i % ARTIST_COUNT < GATING_ARTISTS && i % 3 === 0;

export async function seed(db: Db): Promise<Fixture> {
  const artists = Array.from({ length: ARTIST_COUNT }, (_, n) => didForTest(`bench-artist-${n}`));
  const viewers = {
    supporter: didForTest('bench-supporter'),
    nonSupporter: didForTest('bench-non-supporter'),
    stampede: didForTest('bench-stampede'),
  };
  await db.insert(users).values([
    ...artists.map((did, n) => ({ did, handle: `artist-${n}.bench.test` })),
    ...Object.entries(viewers).map(([role, did]) => ({ did, handle: `${role.toLowerCase()}.bench.test` })),
  ]);

  const now = Date.now();
  const rows = Array.from({ length: TRACK_COUNT }, (_, i) => {
    const gated = isGated(i);
    return {
      fileId: randomBytes(16).toString('hex'),
      artistDid: artists[i % ARTIST_COUNT]!,
      title: `Track ${i}`,
      fileType: 'mp3',
      contentType: 'audio/mpeg',
      size: 4_000_000 + i,
      supportGate: gated ? { type: 'any' as const } : null,
      bucket: gated ? ('private' as const) : ('public' as const),
      // Track 0 is the newest, so the first page of tracks.list mixes artists and gates.
      createdAt: new Date(now - i * 1000),
      recordCreatedAt: new Date(now - i * 1000),
    };
  });
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) await db.insert(tracks).values(rows.slice(i, i + INSERT_CHUNK));

  const byArtist = (pick: (artist: number) => boolean) =>
    rows.filter((_, i) => isGated(i) && pick(i % ARTIST_COUNT)).map((r) => r.fileId);
  const stampedeArtist = 2;
  const session = async (did: string) => (await createAppSession(db, did)).token;

  return {
    artists,
    publicFileIds: rows.filter((_, i) => !isGated(i)).slice(0, ROTATION).map((r) => r.fileId),
    supportedGatedFileIds: byArtist((a) => a >= 1 && a < SUPPORTED_ARTISTS).slice(0, ROTATION),
    unsupportedGatedFileIds: byArtist((a) => a >= SUPPORTED_ARTISTS && a < GATING_ARTISTS).slice(0, ROTATION),
    ownerGatedFileIds: byArtist((a) => a === 0),
    sessions: {
      supporter: await session(viewers.supporter),
      nonSupporter: await session(viewers.nonSupporter),
      owner: await session(artists[0]!),
      stampede: await session(viewers.stampede),
    },
    stampede: { fileId: byArtist((a) => a === stampedeArtist)[0]! },
    supporterPairs: [
      ...artists.slice(0, SUPPORTED_ARTISTS).map((artist) => [viewers.supporter, artist] as const),
      [viewers.stampede, artists[stampedeArtist]!] as const,
    ],
  };
}
