import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { StorageObjectNotFoundError, StorageUnavailableError } from './errors.js';
import { createPresigner } from './presigner.js';
import { createS3Client, type S3ConnectionConfig } from './s3.js';

export type BucketName = 'public' | 'private';

export interface StorageConfig extends S3ConnectionConfig {
  /** S3_PUBLIC_BUCKET: served by the CDN, public read. */
  publicBucket: string;
  /** S3_PRIVATE_BUCKET: reachable only through presigned URLs. */
  privateBucket: string;
  /** CDN_BASE_URL: the public bucket's origin. */
  cdnBaseUrl: string;
  /** PRESIGNED_URL_TTL_SECONDS: default lifetime of presigned GETs. */
  presignTtlSeconds: number;
}

export interface StoredObject {
  size: number;
  /** The entity tag without its quotes; equal for an object and its server-side copy. */
  etag: string;
  contentType?: string;
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

/** The most keys one list request returns (the S3 limit). */
export const MAX_LIST_KEYS = 1_000;

export interface Storage {
  readonly config: StorageConfig;
  /** `audio/{fileId}.{ext}`, the key of a track's audio in either bucket. */
  audioKey(fileId: string, ext: string): string;
  /** `staging/{uploadId}`, where a presigned upload lands before it is checked. */
  stagingKey(uploadId: string): string;
  /** `{cdnBaseUrl}/audio/{fileId}.{ext}`; string work only. */
  cdnUrl(fileId: string, ext: string): string;
  /** A PUT URL into the private bucket; Content-Type and Content-Length are signed. */
  presignPut(
    key: string,
    opts: { contentType: string; contentLength: number; expiresInSeconds: number },
  ): Promise<string>;
  presignGet(
    bucket: BucketName,
    key: string,
    opts?: { expiresInSeconds?: number; contentDisposition?: string },
  ): Promise<{ url: string; expiresAt: Date }>;
  /** null when there is no such object. */
  head(bucket: BucketName, key: string): Promise<StoredObject | null>;
  /** Bytes start..endInclusive (fewer when the object is shorter); StorageObjectNotFoundError if missing. */
  readRange(bucket: BucketName, key: string, start: number, endInclusive: number): Promise<Uint8Array>;
  /**
   * The whole object as a stream, read as the consumer pulls (never buffered); `signal` aborts the
   * download. StorageObjectNotFoundError if missing.
   */
  openRead(bucket: BucketName, key: string, signal: AbortSignal): Promise<{ body: ReadableStream<Uint8Array>; size: number }>;
  /** Server-side copy; StorageObjectNotFoundError if the source is missing. */
  copy(from: { bucket: BucketName; key: string }, to: { bucket: BucketName; key: string }): Promise<void>;
  /**
   * One page of the objects under `prefix`, in key order, starting after the key `after`; `next` is
   * the key to pass as `after` for the following page, null on the last one.
   */
  listPage(
    bucket: BucketName,
    prefix: string,
    opts: { after?: string | undefined; limit: number },
  ): Promise<{ objects: ListedObject[]; next: string | null }>;
  /** Succeeds whether or not the object exists. */
  delete(bucket: BucketName, key: string): Promise<void>;
  /** Checks that both buckets answer with these credentials; StorageUnavailableError within PING_TIMEOUT_MS otherwise. */
  ping(): Promise<void>;
  destroy(): void;
}

/** /ready must answer quickly even when the storage hangs. */
export const PING_TIMEOUT_MS = 2_000;
/**
 * ping reads this (absent) key rather than HeadBucket: an object-scoped R2 token may read objects,
 * and s3rver cannot verify SDK v3 signatures on bucket-level paths (`/bucket/` vs `/bucket`).
 */
const PING_KEY = '.ping';
/** SigV4 refuses presigned URLs that live longer than a week. */
const MAX_PRESIGN_SECONDS = 604_800;

const FILE_ID = /^[A-Za-z0-9_-]{1,128}$/;
const EXTENSION = /^[a-z0-9]{1,8}$/;

export function createStorage(config: StorageConfig): Storage {
  const client = createS3Client(config);
  const presign = createPresigner(config);
  const cdnBase = config.cdnBaseUrl.replace(/\/+$/, '');
  const bucketOf = (bucket: BucketName) => (bucket === 'public' ? config.publicBucket : config.privateBucket);

  const audioKey = (fileId: string, ext: string): string => {
    // Keys are built from ids we generate; anything else is a bug, never a path to follow.
    if (!FILE_ID.test(fileId)) throw new TypeError(`invalid fileId: ${JSON.stringify(fileId)}`);
    if (!EXTENSION.test(ext)) throw new TypeError(`invalid extension: ${JSON.stringify(ext)}`);
    return `audio/${fileId}.${ext}`;
  };

  return {
    config,
    audioKey,

    stagingKey(uploadId) {
      if (!FILE_ID.test(uploadId)) throw new TypeError(`invalid uploadId: ${JSON.stringify(uploadId)}`);
      return `staging/${uploadId}`;
    },

    cdnUrl(fileId, ext) {
      return `${cdnBase}/${audioKey(fileId, ext)}`;
    },

    async presignPut(key, { contentType, contentLength, expiresInSeconds }) {
      if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
        throw new RangeError(`invalid contentLength: ${contentLength}`);
      }
      return presign({
        method: 'PUT',
        bucket: config.privateBucket,
        key,
        // Signing these two makes the storage itself refuse a body of another size or type.
        headers: { 'content-type': contentType, 'content-length': String(contentLength) },
        expiresInSeconds: checkedTtl(expiresInSeconds),
        signingDate: new Date(),
      });
    },

    async presignGet(bucket, key, opts = {}) {
      const ttl = checkedTtl(opts.expiresInSeconds ?? config.presignTtlSeconds);
      // X-Amz-Date has whole seconds, so the URL dies ttl seconds after the truncated signing time.
      const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
      const url = await presign({
        method: 'GET',
        bucket: bucketOf(bucket),
        key,
        ...(opts.contentDisposition === undefined ? {} : { query: { 'response-content-disposition': opts.contentDisposition } }),
        expiresInSeconds: ttl,
        signingDate,
      });
      return { url, expiresAt: new Date(signingDate.getTime() + ttl * 1000) };
    },

    async head(bucket, key) {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucketOf(bucket), Key: key }));
        return {
          size: out.ContentLength ?? 0,
          etag: (out.ETag ?? '').replace(/^"|"$/g, ''),
          ...(out.ContentType === undefined ? {} : { contentType: out.ContentType }),
        };
      } catch (err) {
        if (httpStatusOf(err) === 404) return null;
        throw err;
      }
    },

    async readRange(bucket, key, start, endInclusive) {
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endInclusive) || start < 0 || endInclusive < start) {
        throw new RangeError(`invalid byte range ${start}-${endInclusive}`);
      }
      try {
        const out = await client.send(
          new GetObjectCommand({ Bucket: bucketOf(bucket), Key: key, Range: `bytes=${start}-${endInclusive}` }),
        );
        return out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
      } catch (err) {
        // 416: the object ends before `start`, so there are no bytes in that range.
        if (httpStatusOf(err) === 416) return new Uint8Array(0);
        if (isNoSuchKey(err)) throw new StorageObjectNotFoundError(bucketOf(bucket), key, { cause: err });
        throw err;
      }
    },

    async openRead(bucket, key, signal) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucketOf(bucket), Key: key }), { abortSignal: signal });
        if (!out.Body) throw new StorageObjectNotFoundError(bucketOf(bucket), key);
        return { body: out.Body.transformToWebStream(), size: out.ContentLength ?? 0 };
      } catch (err) {
        if (isNoSuchKey(err)) throw new StorageObjectNotFoundError(bucketOf(bucket), key, { cause: err });
        throw err;
      }
    },

    async copy(from, to) {
      const sourceBucket = bucketOf(from.bucket);
      try {
        await client.send(
          new CopyObjectCommand({
            Bucket: bucketOf(to.bucket),
            Key: to.key,
            // CopySource is a URL path: encode each segment, keep the slashes.
            CopySource: `${sourceBucket}/${from.key.split('/').map(encodeURIComponent).join('/')}`,
          }),
        );
      } catch (err) {
        if (isNoSuchKey(err)) throw new StorageObjectNotFoundError(sourceBucket, from.key, { cause: err });
        throw err;
      }
    },

    async listPage(bucket, prefix, { after, limit }) {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_KEYS) throw new RangeError(`invalid list limit: ${limit}`);
      // StartAfter rather than a continuation token: the page is resumable from any key, as a keyset.
      const out = await client.send(
        new ListObjectsV2Command({ Bucket: bucketOf(bucket), Prefix: prefix, MaxKeys: limit, ...(after ? { StartAfter: after } : {}) }),
      );
      const objects = (out.Contents ?? []).flatMap((o) =>
        o.Key === undefined ? [] : [{ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) }],
      );
      return { objects, next: out.IsTruncated && objects.length > 0 ? objects.at(-1)!.key : null };
    },

    async delete(bucket, key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucketOf(bucket), Key: key }));
    },

    async ping() {
      const signal = AbortSignal.timeout(PING_TIMEOUT_MS);
      await Promise.all(
        [config.publicBucket, config.privateBucket].map(async (bucket) => {
          try {
            const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: PING_KEY, Range: 'bytes=0-0' }), {
              abortSignal: signal,
            });
            await out.Body?.transformToByteArray();
          } catch (err) {
            // NoSuchKey proves the endpoint, the credentials and the bucket are all right.
            if (isNoSuchKey(err)) return;
            throw new StorageUnavailableError(`storage unavailable: bucket ${bucket} at ${config.endpoint}`, {
              cause: err,
            });
          }
        }),
      );
    },

    destroy() {
      client.destroy();
    },
  };
}

function checkedTtl(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw new RangeError(`presigned URL lifetime must be 1..${MAX_PRESIGN_SECONDS} s, got ${seconds}`);
  }
  return seconds;
}

function httpStatusOf(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}

function isNoSuchKey(err: unknown): boolean {
  return err instanceof S3ServiceException && err.name === 'NoSuchKey';
}
