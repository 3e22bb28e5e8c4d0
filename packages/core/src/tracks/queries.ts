import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { tracks, users, type Db } from '@plyr/db';
import { perDatabase } from '../prepared.js';
import { InvalidCursorError } from './errors.js';

/** The columns every track read selects: the track and its artist's handle. */
export const trackRowColumns = {
  id: tracks.id,
  fileId: tracks.fileId,
  artistDid: tracks.artistDid,
  artistHandle: users.handle,
  title: tracks.title,
  fileType: tracks.fileType,
  contentType: tracks.contentType,
  size: tracks.size,
  supportGate: tracks.supportGate,
  bucket: tracks.bucket,
  moving: tracks.moving,
  recordUri: tracks.recordUri,
  recordCid: tracks.recordCid,
  unavailableReason: tracks.unavailableReason,
  recordCreatedAt: tracks.recordCreatedAt,
  createdAt: tracks.createdAt,
  updatedAt: tracks.updatedAt,
};

/** Select track rows joined to their artist; others (likes) add their own joins and filters. */
export function selectTrackRows(db: Db) {
  return db.select(trackRowColumns).from(tracks).innerJoin(users, eq(users.did, tracks.artistDid));
}

export type TrackRow = Awaited<ReturnType<typeof selectTrackRows>>[number];

export async function findTrack(db: Db, id: string): Promise<TrackRow | null> {
  const [row] = await statements(db).byId.execute({ id });
  return row ?? null;
}

export async function findTrackByFileId(db: Db, fileId: string): Promise<TrackRow | null> {
  const [row] = await statements(db).byFileId.execute({ fileId });
  return row ?? null;
}

/** What a page of tracks carries: the columns of a track output, nothing the list does not show. */
const listedTrackColumns = {
  id: tracks.id,
  fileId: tracks.fileId,
  artistDid: tracks.artistDid,
  artistHandle: users.handle,
  title: tracks.title,
  fileType: tracks.fileType,
  supportGate: tracks.supportGate,
  bucket: tracks.bucket,
  moving: tracks.moving,
  // The owner's own list says why a track cannot be played.
  unavailableReason: tracks.unavailableReason,
  createdAt: tracks.createdAt,
};

export type ListedTrack = Pick<TrackRow, keyof typeof listedTrackColumns>;

export interface TrackPage {
  rows: ListedTrack[];
  /** Pass back to get the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export const MAX_PAGE_SIZE = 100;

// Postgres keeps microseconds, a JS Date only milliseconds: the cursor carries the exact text.
const createdAtText = sql<string>`to_char(${tracks.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

// The page after a cursor: a row comparison, which the (createdAt, id) indexes answer at any depth.
const afterCursor = sql`(${tracks.createdAt}, ${tracks.id}) < (${sql.placeholder('cursorCreatedAt')}::timestamptz, ${sql.placeholder('cursorId')}::uuid)`;

/** One page of tracks, newest first, optionally one artist's and after a cursor. */
function pageStatement(db: Db, name: string, by: { artist: boolean; cursor: boolean }) {
  const filters: SQL[] = [];
  if (by.artist) filters.push(eq(tracks.artistDid, sql.placeholder('artistDid')));
  if (by.cursor) filters.push(afterCursor);
  return db
    .select({ ...listedTrackColumns, cursorCreatedAt: createdAtText })
    .from(tracks)
    .innerJoin(users, eq(users.did, tracks.artistDid))
    .where(filters.length > 0 ? and(...filters) : undefined)
    .orderBy(desc(tracks.createdAt), desc(tracks.id))
    .limit(sql.placeholder('limit'))
    .prepare(name);
}

const statements = perDatabase((db) => ({
  byId: selectTrackRows(db).where(eq(tracks.id, sql.placeholder('id'))).limit(1).prepare('track_by_id'),
  byFileId: selectTrackRows(db).where(eq(tracks.fileId, sql.placeholder('fileId'))).limit(1).prepare('track_by_file_id'),
  page: pageStatement(db, 'tracks_page', { artist: false, cursor: false }),
  pageAfter: pageStatement(db, 'tracks_page_after', { artist: false, cursor: true }),
  artistPage: pageStatement(db, 'artist_tracks_page', { artist: true, cursor: false }),
  artistPageAfter: pageStatement(db, 'artist_tracks_page_after', { artist: true, cursor: true }),
}));

/** A listed track as a page query returns it: with its exact `createdAt` text, for the cursor. */
export type PageRow = ListedTrack & { cursorCreatedAt: string };

/**
 * The newest MAX_PAGE_SIZE tracks and one more (to tell whether more follow): every first page of
 * every track is a prefix of it, which is what the hot-read cache keeps.
 */
export function newestTracks(db: Db): Promise<PageRow[]> {
  return statements(db).page.execute({ limit: MAX_PAGE_SIZE + 1 });
}

/**
 * Newest first, keyset-paginated on (createdAt, id) so inserts between pages never shift them.
 * `newest` answers the first page of every track (the page every visit loads) from a cache.
 */
export async function listTracks(
  db: Db,
  opts: { cursor?: string | undefined; limit: number; artistDid?: string | undefined },
  newest?: () => Promise<readonly PageRow[]>,
): Promise<TrackPage> {
  const s = statements(db);
  const limit = opts.limit + 1;
  const cursor = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor);
  const { artistDid } = opts;
  const rows = cursor
    ? await (artistDid === undefined
        ? s.pageAfter.execute({ cursorCreatedAt: cursor.createdAt, cursorId: cursor.id, limit })
        : s.artistPageAfter.execute({ artistDid, cursorCreatedAt: cursor.createdAt, cursorId: cursor.id, limit }))
    : artistDid !== undefined
      ? await s.artistPage.execute({ artistDid, limit })
      : newest && limit <= MAX_PAGE_SIZE + 1
        ? (await newest()).slice(0, limit)
        : await s.page.execute({ limit });
  const page = rows.slice(0, opts.limit);
  const last = page.at(-1);
  return {
    rows: page.map(({ cursorCreatedAt: _, ...row }) => row),
    nextCursor: rows.length > opts.limit && last ? encodeCursor(last.cursorCreatedAt, last.id) : null,
  };
}

const CURSOR_PATTERN =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const match = CURSOR_PATTERN.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  // A round trip through Date rejects impossible dates (Feb 30) that Postgres would fail on.
  const time = match ? new Date(match[1]!) : null;
  if (!match || !time || Number.isNaN(time.getTime()) || time.toISOString().slice(0, 23) !== match[1]!.slice(0, 23)) {
    throw new InvalidCursorError();
  }
  return { createdAt: match[1]!, id: match[2]! };
}
