import type { Db } from '@plyr/db';
import { sha256Hex } from '../auth/crypto.js';
import { DEVELOPER_TOKEN_PREFIX, findUnrevokedTokenRow } from '../auth/developer-tokens.js';
import { findSessionRow, MAX_SECRET_LENGTH, SESSION_TOKEN_PREFIX } from '../auth/sessions.js';
import { findTrack, findTrackByFileId, newestTracks, type PageRow, type TrackRow } from '../tracks/queries.js';
import type { HotStore } from './store.js';

/** Rows change only through writes that invalidate them; the TTL bounds what nothing invalidates (an artist's new handle). */
export const ROW_TTL_MS = 5 * 60_000;
/** Unknown ids and secrets: long enough that a flood of them costs no queries, short as a safety net. */
export const ABSENT_TTL_MS = 10_000;

const ttl = (value: unknown) => (value === null ? ABSENT_TTL_MS : ROW_TTL_MS);

export interface CredentialOwner {
  did: string;
  handle: string;
  tokenHash: string;
}

/**
 * The reads every play makes, through the hot-read cache: rows, never decisions (gates, expiry and
 * publication times are judged by the caller against the clock), and every write that changes a
 * row calls the matching `forget*` after it commits.
 */
export interface HotReads {
  trackByFileId(fileId: string): Promise<TrackRow | null>;
  trackById(id: string): Promise<TrackRow | null>;
  /** The newest tracks, of which every first page of tracks.list is a prefix (one entry, ~100 rows). */
  newestTracks(): Promise<readonly PageRow[]>;
  /** A live app session by its secret; expiry is judged against `now` on every call. */
  session(token: string, now: Date): Promise<CredentialOwner | null>;
  /** A live developer token by its secret; expiry is judged against `now` on every call. */
  developerToken(token: string, now: Date): Promise<CredentialOwner | null>;
  /** After any write to a track (new ones included): its rows, and the newest-tracks list. */
  forgetTrack(track: { id: string; fileId: string }): Promise<void>;
  forgetSession(tokenHash: string): Promise<void>;
  forgetDeveloperToken(tokenHash: string): Promise<void>;
  close(): Promise<void>;
}

const keys = {
  trackByFileId: (fileId: string) => `track:file:${fileId}`,
  trackById: (id: string) => `track:id:${id}`,
  newestTracks: 'tracks:newest',
  session: (hash: string) => `session:${hash}`,
  token: (hash: string) => `token:${hash}`,
};

type OwnerRow = { did: string; handle: string; expiresAt: Date } | null;

function live(row: OwnerRow, tokenHash: string, now: Date): CredentialOwner | null {
  return row && row.expiresAt.getTime() > now.getTime() ? { did: row.did, handle: row.handle, tokenHash } : null;
}

function secretHash(token: string, prefix: string): string | null {
  return token.startsWith(prefix) && token.length <= MAX_SECRET_LENGTH ? sha256Hex(token) : null;
}

export function createHotReads(db: Db, store: HotStore): HotReads {
  return {
    trackByFileId: (fileId) => store.getOrSet(keys.trackByFileId(fileId), ttl, () => findTrackByFileId(db, fileId)),
    trackById: (id) => store.getOrSet(keys.trackById(id), ttl, () => findTrack(db, id)),
    newestTracks: () => store.getOrSet(keys.newestTracks, ttl, () => newestTracks(db)),
    async session(token, now) {
      const hash = secretHash(token, SESSION_TOKEN_PREFIX);
      if (!hash) return null;
      return live(await store.getOrSet<OwnerRow>(keys.session(hash), ttl, () => findSessionRow(db, hash)), hash, now);
    },
    async developerToken(token, now) {
      const hash = secretHash(token, DEVELOPER_TOKEN_PREFIX);
      if (!hash) return null;
      return live(await store.getOrSet<OwnerRow>(keys.token(hash), ttl, () => findUnrevokedTokenRow(db, hash)), hash, now);
    },
    forgetTrack: ({ id, fileId }) => store.invalidate([keys.trackById(id), keys.trackByFileId(fileId), keys.newestTracks]),
    forgetSession: (hash) => store.invalidate([keys.session(hash)]),
    forgetDeveloperToken: (hash) => store.invalidate([keys.token(hash)]),
    close: () => store.close(),
  };
}
