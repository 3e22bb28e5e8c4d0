import type { Agent } from '@atproto/api';
import { and, asc, eq, gt } from 'drizzle-orm';
import { likes, oauthSessions } from '@plyr/db';
import { LIKE_COLLECTION, PDS_WRITE_TIMEOUT_MS, syncLikeRecord } from '../likes/index.js';
import { STALLED_SYNC_AGE_MS } from '../tracks/index.js';
import { checkUnderLock, handle, type RunContext } from './run-context.js';

/** listRecords' largest page. */
const RECORD_PAGE = 100;

/**
 * For each account with an OAuth session (only those can have records written or deleted for them),
 * compares its `fm.plyr.like` records with its like rows, under a lock of that account's.
 */
export async function reconcileLikes(ctx: RunContext, pageSize: number): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const page: Array<{ did: string }> = await ctx.services.db
      .select({ did: oauthSessions.did })
      .from(oauthSessions)
      .where(after === null ? undefined : gt(oauthSessions.did, after))
      .orderBy(asc(oauthSessions.did))
      .limit(pageSize);
    for (const { did } of page) await checkUnderLock(ctx, `likes:${did}`, () => reconcileAccountLikes(ctx, did));
    if (page.length < pageSize) return;
    after = page.at(-1)!.did;
  }
}

async function reconcileAccountLikes(ctx: RunContext, did: string): Promise<void> {
  const { services } = ctx;
  const agent = await services.auth.getAgent(did);
  // Records first, rows second: a like made in between has its row and is simply not compared.
  const records = await listLikeRecords(agent, did);
  const rows = await services.db
    .select({ trackId: likes.trackId, recordUri: likes.recordUri, recordCid: likes.recordCid, createdAt: likes.createdAt })
    .from(likes)
    .where(eq(likes.did, did));
  ctx.report.checked.likeAccounts++;
  const stalledBefore = ctx.now.getTime() - STALLED_SYNC_AGE_MS;
  for (const like of rows) {
    if (!like.recordUri || records.has(like.recordUri)) continue;
    // Not written yet and recent: its job is on it.
    if (like.recordCid === null && like.createdAt.getTime() > stalledBefore) continue;
    await handle(ctx, 'like_record_missing', like.recordUri, `the like of track ${like.trackId} has no record`, async () => {
      await syncLikeRecord(services, { action: 'write', did, trackId: like.trackId });
      const [written] = await services.db
        .select({ recordCid: likes.recordCid })
        .from(likes)
        .where(and(eq(likes.did, did), eq(likes.trackId, like.trackId)));
      // Unliked meanwhile is fine (nothing to write); otherwise the row must now say written.
      if (written && written.recordCid === null) throw new Error('the record was not written');
    });
  }
  const liked = new Set(rows.map((r) => r.recordUri));
  for (const uri of records) {
    if (liked.has(uri)) continue;
    await handle(ctx, 'like_record_orphan', uri, 'no like has this record', () => syncLikeRecord(services, { action: 'delete', did, recordUri: uri }));
  }
}

async function listLikeRecords(agent: Agent, did: string): Promise<Set<string>> {
  const uris = new Set<string>();
  let cursor: string | undefined;
  do {
    const { data } = await agent.com.atproto.repo.listRecords(
      { repo: did, collection: LIKE_COLLECTION, limit: RECORD_PAGE, ...(cursor ? { cursor } : {}) },
      { signal: AbortSignal.timeout(PDS_WRITE_TIMEOUT_MS) },
    );
    for (const record of data.records) uris.add(record.uri);
    cursor = data.records.length === RECORD_PAGE ? data.cursor : undefined;
  } while (cursor);
  return uris;
}
