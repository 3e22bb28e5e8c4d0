import { randomBytes } from 'node:crypto';
import { drizzle } from 'drizzle-orm/postgres-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, schema, tracks, users, type Db, type DbHandle } from '@plyr/db';
import { createTestDatabase } from '@plyr/testing';
import { listTracks } from '../../src/tracks/index.js';

/**
 * The track lists must be read off their indexes: a plan that sorts the table costs every page
 * load time in proportion to the number of tracks. These tests EXPLAIN the very statements the
 * list functions send, on a table big enough for the planner to prefer an index when it can.
 */

const TRACKS = 4_000;
const ARTISTS = 10;
const artists = Array.from({ length: ARTISTS }, (_, i) => ({ did: `did:plc:artist${String(i).padStart(18, '0')}`, handle: `artist${i}.test` }));

let database: { url: string; drop: () => Promise<void> };
let handle: DbHandle;
/** Statements the list functions sent through `traced`, in order. */
const sent: { query: string; params: unknown[] }[] = [];
let traced: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = await createDb({ url: database.url, max: 2 });
  traced = drizzle(handle.sql, { schema, logger: { logQuery: (query, params) => void sent.push({ query, params }) } });
  await handle.db.insert(users).values(artists);
  const start = Date.now() - TRACKS * 60_000;
  const rows = Array.from({ length: TRACKS }, (_, i) => ({
    fileId: randomBytes(12).toString('hex'),
    artistDid: artists[i % ARTISTS]!.did,
    title: `track ${i}`,
    fileType: 'mp3',
    contentType: 'audio/mpeg',
    size: 1_000,
    bucket: 'public' as const,
    createdAt: new Date(start + i * 60_000),
  }));
  for (let i = 0; i < rows.length; i += 1_000) {
    await handle.db.insert(tracks).values(rows.slice(i, i + 1_000));
  }
  await handle.sql`ANALYZE`;
});

afterAll(async () => {
  await handle?.close();
  await database?.drop();
});

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** The plan of the last statement the list function sent. */
async function planOfLast(): Promise<PlanNode[]> {
  const { query, params } = sent.at(-1)!;
  const [row] = await handle.sql.unsafe(`EXPLAIN (FORMAT JSON) ${query}`, params as never[]);
  return nodes((row!['QUERY PLAN'] as [{ Plan: PlanNode }])[0].Plan);
}

/** The page comes off `index` in order (no sort), starting where `startsAt` says when given (not by filtering from the top). */
function expectIndexWithoutSort(plan: PlanNode[], index: string, startsAt?: RegExp): void {
  expect(plan.map((n) => n['Node Type'])).not.toContain('Sort');
  expect(plan.map((n) => n['Node Type'])).not.toContain('Incremental Sort');
  const scan = plan.find((n) => n['Index Name'] === index);
  expect(scan?.['Node Type']).toMatch(/^Index/);
  if (startsAt) expect(scan?.['Index Cond']).toMatch(startsAt);
}

describe('track lists read their page off an index', () => {
  it('tracks.list: the first page', async () => {
    const page = await listTracks(traced, { limit: 20 });
    expect(page.rows).toHaveLength(20);
    expectIndexWithoutSort(await planOfLast(), 'tracks_created_at_id_idx');
  });

  it('tracks.list: a later page, by cursor', async () => {
    const first = await listTracks(traced, { limit: 20 });
    const second = await listTracks(traced, { limit: 20, cursor: first.nextCursor! });
    expect(second.rows[0]!.createdAt.getTime()).toBeLessThan(first.rows.at(-1)!.createdAt.getTime());
    expectIndexWithoutSort(await planOfLast(), 'tracks_created_at_id_idx', /created_at.*id/);
  });

  it('tracks.list: a page near the end, by cursor', async () => {
    let cursor: string | undefined;
    for (let seen = 0; seen < TRACKS - 100; seen += 100) cursor = (await listTracks(traced, { limit: 100, cursor })).nextCursor!;
    const page = await listTracks(traced, { limit: 20, cursor });
    expect(page.rows).toHaveLength(20);
    expectIndexWithoutSort(await planOfLast(), 'tracks_created_at_id_idx', /created_at.*id/);
  });

  it("tracks.mine: one artist's page", async () => {
    const page = await listTracks(traced, { limit: 20, artistDid: artists[3]!.did });
    expect(page.rows.every((r) => r.artistDid === artists[3]!.did)).toBe(true);
    expectIndexWithoutSort(await planOfLast(), 'tracks_artist_idx', /artist_did/);
    const next = await listTracks(traced, { limit: 20, artistDid: artists[3]!.did, cursor: page.nextCursor! });
    expect(next.rows.every((r) => r.artistDid === artists[3]!.did)).toBe(true);
    expectIndexWithoutSort(await planOfLast(), 'tracks_artist_idx', /artist_did.*created_at.*id/);
  });
});
