import { inArray } from 'drizzle-orm';
import { tracks, uploads } from '@plyr/db';
import type { BucketName, ListedObject } from '../storage/index.js';
import { ABANDONED_UPLOAD_AGE_MS } from '../tracks/index.js';
import { checkUnderLock, handle, type RunContext } from './run-context.js';

/**
 * An object no row points at is left alone for a day, the age at which a staged upload counts as
 * abandoned: a finalize places the audio a moment before it inserts the track.
 */
export const ORPHAN_OBJECT_AGE_MS = ABANDONED_UPLOAD_AGE_MS;

const AUDIO_KEY = /^audio\/([A-Za-z0-9_-]{1,128})\.([a-z0-9]{1,8})$/;
const STAGING_KEY = /^staging\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Lists both buckets page by page and deletes what nothing points at: audio without a track, staged uploads without an upload. */
export async function reconcileObjects(ctx: RunContext, pageSize: number): Promise<void> {
  for (const bucket of ['public', 'private'] as const) {
    await eachPage(ctx, bucket, 'audio/', pageSize, (page) => orphanAudio(ctx, bucket, page));
  }
  // Presigned uploads only ever land in the private bucket.
  await eachPage(ctx, 'private', 'staging/', pageSize, (page) => orphanStaging(ctx, page));
}

async function eachPage(
  ctx: RunContext,
  bucket: BucketName,
  prefix: string,
  pageSize: number,
  onPage: (objects: ListedObject[]) => Promise<void>,
): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const page = await ctx.services.storage.listPage(bucket, prefix, { after, limit: pageSize });
    ctx.report.checked.objects += page.objects.length;
    // Old enough to be no finalize in progress; ages from the run's clock.
    const old = page.objects.filter((o) => o.lastModified.getTime() < ctx.now.getTime() - ORPHAN_OBJECT_AGE_MS);
    if (old.length > 0) await onPage(old);
    if (page.next === null) return;
    after = page.next;
  }
}

async function orphanAudio(ctx: RunContext, bucket: BucketName, objects: ListedObject[]): Promise<void> {
  const { db, storage } = ctx.services;
  const fileIds = objects.flatMap((o) => AUDIO_KEY.exec(o.key)?.[1] ?? []);
  const owners = async (ids: string[]) =>
    ids.length === 0
      ? new Set<string>()
      : new Set(
          (await db.select({ fileId: tracks.fileId, fileType: tracks.fileType }).from(tracks).where(inArray(tracks.fileId, ids))).map((t) =>
            storage.audioKey(t.fileId, t.fileType),
          ),
        );
  const owned = await owners(fileIds);
  for (const object of objects) {
    if (owned.has(object.key)) continue;
    await checkUnderLock(ctx, `object:${bucket}/${object.key}`, async () => {
      // Under the lock, again: another run may have deleted it, or (impossibly late) a track claimed it.
      const fileId = AUDIO_KEY.exec(object.key)?.[1];
      if (fileId && (await owners([fileId])).has(object.key)) return;
      if (!(await storage.head(bucket, object.key))) return;
      await handle(ctx, 'orphan_object', `${bucket}/${object.key}`, `no track has this audio (last modified ${object.lastModified.toISOString()})`, () =>
        storage.delete(bucket, object.key),
      );
    });
  }
}

async function orphanStaging(ctx: RunContext, objects: ListedObject[]): Promise<void> {
  const { db, storage } = ctx.services;
  const pending = async (ids: string[]) =>
    ids.length === 0 ? new Set<string>() : new Set((await db.select({ id: uploads.id }).from(uploads).where(inArray(uploads.id, ids))).map((u) => u.id));
  const uploadIdOf = (key: string) => STAGING_KEY.exec(key)?.[1];
  const known = await pending(objects.flatMap((o) => uploadIdOf(o.key) ?? []));
  for (const object of objects) {
    const uploadId = uploadIdOf(object.key);
    // A pending upload is never touched here: the abandoned-upload sweep removes it with its row.
    if (uploadId && known.has(uploadId)) continue;
    await checkUnderLock(ctx, `object:private/${object.key}`, async () => {
      if (uploadId && (await pending([uploadId])).has(uploadId)) return;
      if (!(await storage.head('private', object.key))) return;
      await handle(ctx, 'orphan_upload', `private/${object.key}`, `no pending upload has this object (last modified ${object.lastModified.toISOString()})`, () =>
        storage.delete('private', object.key),
      );
    });
  }
}
