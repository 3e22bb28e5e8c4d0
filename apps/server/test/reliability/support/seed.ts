import { randomBytes } from 'node:crypto';
import { tracks } from '@plyr/db';
import { didForTest } from '@plyr/testing';
import { sha256Hex } from '@plyr/core/auth';
import { createAppSession, upsertUser } from '@plyr/core/auth';
import type { Services } from '@plyr/core';
import { mp3Bytes } from '../../tracks/helpers.js';

/**
 * Accounts and tracks written straight into the database and the storage, for tests whose subject
 * is not sign-in or upload (those go through the real OAuth flow and the API elsewhere).
 */

export interface Member {
  did: string;
  handle: string;
  /** The session secret, as `auth.exchange` hands it out. */
  token: string;
  cookie: Record<string, string>;
  bearer: Record<string, string>;
}

/**
 * `hot`: the cache the API instances share (through Redis), to tell them of a seeded track. A test
 * whose API keeps its cache in its own process (no Redis) has none to pass; the track is then new to
 * everything but a newest-tracks list that API already holds.
 */
type SeedServices = Pick<Services, 'db' | 'storage'> & Partial<Pick<Services, 'hot'>>;

/** A user with a live 14-day app session, usable as the cookie or as a bearer token. */
export async function seedMember(services: SeedServices, label: string): Promise<Member> {
  const did = didForTest(`${label}-${randomBytes(4).toString('hex')}`);
  const handle = `${label}.test`;
  await upsertUser(services.db, did, handle);
  const { token } = await createAppSession(services.db, did);
  return { did, handle, token, cookie: { cookie: `session_id=${token}` }, bearer: { authorization: `Bearer ${token}` } };
}

export interface SeededTrack {
  id: string;
  fileId: string;
  fileType: string;
  bytes: Buffer;
}

/**
 * A settled track of `artist` (object in the bucket its gate requires, record marked written, so no
 * job picks it up), its bytes stored through a presigned PUT as a client would.
 */
export async function seedTrack(
  services: SeedServices,
  artist: Pick<Member, 'did'>,
  opts: { gated: boolean; title?: string },
): Promise<SeededTrack> {
  const { db, storage } = services;
  const fileId = randomBytes(16).toString('hex');
  const fileType = 'mp3';
  const key = storage.audioKey(fileId, fileType);
  const bytes = mp3Bytes(2048);
  const url = await storage.presignPut(key, { contentType: 'audio/mpeg', contentLength: bytes.length, expiresInSeconds: 60 });
  const put = await fetch(url, { method: 'PUT', headers: { 'content-type': 'audio/mpeg' }, body: new Uint8Array(bytes), signal: AbortSignal.timeout(10_000) });
  if (put.status !== 200) throw new Error(`seed PUT answered ${put.status}`);
  if (!opts.gated) {
    await storage.copy({ bucket: 'private', key }, { bucket: 'public', key });
    await storage.delete('private', key);
  }
  const [row] = await db
    .insert(tracks)
    .values({
      fileId,
      artistDid: artist.did,
      title: opts.title ?? `Seeded ${fileId.slice(0, 6)}`,
      fileType,
      contentType: 'audio/mpeg',
      size: bytes.length,
      supportGate: opts.gated ? { type: 'any' } : null,
      bucket: opts.gated ? 'private' : 'public',
      moving: false,
      recordUri: `at://${artist.did}/fm.plyr.track/${fileId.slice(0, 13)}`,
      recordCid: 'seeded',
    })
    .returning({ id: tracks.id });
  // As an upload's finalize does: the new track heads the cached newest-tracks list.
  await services.hot?.forgetTrack({ id: row!.id, fileId });
  return { id: row!.id, fileId, fileType, bytes };
}

/** Where a stored credential's hash lives; the hash is hex, checked before it is put in the statement. */
const CREDENTIAL_TABLES = { session: 'app_sessions', developerToken: 'developer_tokens' } as const;

/**
 * Moves a session's or developer token's expiry into the past, as time would. The product never
 * rewrites `expires_at`, so the cached row still holds the old one: it is dropped as a write would.
 */
export async function expireCredential(services: Pick<Services, 'db' | 'hot'>, kind: keyof typeof CREDENTIAL_TABLES, secret: string): Promise<void> {
  const hash = sha256Hex(secret);
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error('unexpected hash shape');
  await services.db.execute(`update ${CREDENTIAL_TABLES[kind]} set expires_at = now() - interval '1 second' where token_hash = '${hash}'`);
  await (kind === 'session' ? services.hot.forgetSession(hash) : services.hot.forgetDeveloperToken(hash));
}
