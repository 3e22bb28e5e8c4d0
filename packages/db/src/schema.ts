import {
  bigint,
  boolean,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/** Everyone who has signed in: listeners and artists alike. */
export const users = pgTable('users', {
  did: text('did').primaryKey(),
  handle: text('handle').notNull(),
  autoDownloadLiked: boolean('auto_download_liked').notNull().default(false),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** OAuth authorization-request state (PKCE verifier, DPoP key), encrypted, short-lived. */
export const oauthStates = pgTable('oauth_states', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/** The ATProto OAuth session of one account (tokens + DPoP key), encrypted at rest. */
export const oauthSessions = pgTable('oauth_sessions', {
  did: text('did').primaryKey(),
  value: text('value').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A browser or SDK sign-in; only the SHA-256 of the secret is stored. */
export const appSessions = pgTable(
  'app_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull().unique(),
    did: text('did')
      .notNull()
      .references(() => users.did, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('app_sessions_did_idx').on(t.did)],
);

/** One-time tokens that carry a completed OAuth login from the callback to `auth.exchange`. */
export const exchangeTokens = pgTable('exchange_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  did: text('did')
    .notNull()
    .references(() => users.did, { onDelete: 'cascade' }),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/** Bearer tokens for SDK and CLI use; the secret is shown once and stored hashed. */
export const developerTokens = pgTable(
  'developer_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    did: text('did')
      .notNull()
      .references(() => users.did, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('developer_tokens_did_idx').on(t.did)],
);

/** An upload between `tracks.createUpload` and `tracks.finalizeUpload`. */
export const uploads = pgTable(
  'uploads',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    did: text('did')
      .notNull()
      .references(() => users.did, { onDelete: 'cascade' }),
    stagingKey: text('staging_key').notNull(),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('uploads_created_at_idx').on(t.createdAt)],
);

/** Supporters only; with `publicAt` (ISO 8601, UTC) public for everyone from that instant. */
export type SupportGate = { type: 'any'; publicAt?: string };
export type StorageBucket = 'public' | 'private';
/** Why a track cannot be played at all, whoever asks. */
export type TrackUnavailableReason = 'audio_missing';

export const tracks = pgTable(
  'tracks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    fileId: text('file_id').notNull().unique(),
    artistDid: text('artist_did')
      .notNull()
      .references(() => users.did, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    /** File extension without the dot (`mp3`, `m4a`, `flac`, `wav`, `ogg`, `opus`). */
    fileType: text('file_type').notNull(),
    contentType: text('content_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    supportGate: jsonb('support_gate').$type<SupportGate | null>(),
    /** Where the audio object is now; the move job switches it after a verified copy. */
    bucket: text('bucket').$type<StorageBucket>().notNull(),
    /** True while a move job for a gate change has not finished. */
    moving: boolean('moving').notNull().default(false),
    recordUri: text('record_uri'),
    recordCid: text('record_cid'),
    /** Set by the reconciler when the audio is in neither bucket (`audio_missing`); cleared when it is found again. */
    unavailableReason: text('unavailable_reason').$type<TrackUnavailableReason>(),
    recordCreatedAt: timestamp('record_created_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // NULLS FIRST is what `ORDER BY … DESC` means: an index in another null order cannot serve the lists' ORDER BY.
  (t) => [
    index('tracks_created_at_id_idx').on(t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('tracks_artist_idx').on(t.artistDid, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
  ],
);

export const likes = pgTable(
  'likes',
  {
    did: text('did')
      .notNull()
      .references(() => users.did, { onDelete: 'cascade' }),
    trackId: uuid('track_id')
      .notNull()
      .references(() => tracks.id, { onDelete: 'cascade' }),
    /** `at://{did}/fm.plyr.like/{tid}`: the listener's like record, its key chosen when the like is stored. */
    recordUri: text('record_uri'),
    /** Set once the record is on the listener's PDS; null while the write is pending. */
    recordCid: text('record_cid'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.did, t.trackId] }),
    // Same order as listLikedTracks' ORDER BY (DESC is NULLS FIRST), so the page is read off the index.
    index('likes_did_created_idx').on(t.did, t.createdAt.desc().nullsFirst(), t.trackId.desc().nullsFirst()),
  ],
);

