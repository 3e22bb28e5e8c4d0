import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createStorage,
  StorageObjectNotFoundError,
  StorageUnavailableError,
  type Storage,
  type StorageConfig,
} from '../../src/storage/index.js';
import { startTestS3 } from '@plyr/testing';

let s3: Awaited<ReturnType<typeof startTestS3>>;
let storage: Storage;

beforeAll(async () => {
  s3 = await startTestS3();
  storage = createStorage(s3.config);
});

afterAll(async () => {
  storage?.destroy();
  await s3?.close();
});

/** Uploads through a presigned PUT, the way a browser does. */
async function upload(key: string, bytes: Uint8Array<ArrayBuffer>, contentType = 'audio/mpeg'): Promise<Response> {
  const url = await storage.presignPut(key, { contentType, contentLength: bytes.length, expiresInSeconds: 900 });
  return fetch(url, { method: 'PUT', body: bytes, headers: { 'Content-Type': contentType } });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('presigned PUT', () => {
  it('stores the bytes when size and type match what was signed', async () => {
    const bytes = randomBytes(2048);
    const res = await upload('staging/match', bytes);
    expect(res.status).toBe(200);
    expect(await storage.head('private', 'staging/match')).toMatchObject({ size: 2048, contentType: 'audio/mpeg' });
    expect(await storage.head('public', 'staging/match')).toBeNull();
  });

  it('is refused by the storage when the body has another length', async () => {
    const url = await storage.presignPut('staging/size', {
      contentType: 'audio/mpeg',
      contentLength: 1000,
      expiresInSeconds: 900,
    });
    const res = await fetch(url, { method: 'PUT', body: randomBytes(1001), headers: { 'Content-Type': 'audio/mpeg' } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('SignatureDoesNotMatch');
    expect(await storage.head('private', 'staging/size')).toBeNull();
  });

  it('is refused by the storage when the content type differs', async () => {
    const url = await storage.presignPut('staging/type', {
      contentType: 'audio/mpeg',
      contentLength: 100,
      expiresInSeconds: 900,
    });
    const res = await fetch(url, { method: 'PUT', body: randomBytes(100), headers: { 'Content-Type': 'text/html' } });
    expect(res.status).toBe(403);
    expect(await storage.head('private', 'staging/type')).toBeNull();
  });

  it('signs for the private bucket only', async () => {
    const url = await storage.presignPut('staging/where', { contentType: 'audio/mpeg', contentLength: 1, expiresInSeconds: 60 });
    expect(new URL(url).pathname).toBe(`/${s3.config.privateBucket}/staging/where`);
  });
});

describe('presigned GET', () => {
  const bytes = randomBytes(4096);
  const key = 'audio/gated.mp3';

  beforeAll(async () => {
    expect((await upload(key, bytes)).status).toBe(200);
  });

  it('serves the object, with an expiry PRESIGNED_URL_TTL_SECONDS ahead by default', async () => {
    const before = Date.now();
    const { url, expiresAt } = await storage.presignGet('private', key);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('300');
    expect(expiresAt.getTime()).toBeGreaterThan(before + 298_000);
    expect(expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 300_000);
  });

  it('answers a Range request with 206 and exactly those bytes', async () => {
    const { url } = await storage.presignGet('private', key);
    const res = await fetch(url, { headers: { Range: 'bytes=100-199' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 100-199/4096');
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
  });

  it('is refused with 403 when one character of the signature is altered', async () => {
    const { url } = await storage.presignGet('private', key);
    const u = new URL(url);
    const signature = u.searchParams.get('X-Amz-Signature')!;
    const last = signature.at(-1) === '0' ? '1' : '0';
    u.searchParams.set('X-Amz-Signature', signature.slice(0, -1) + last);
    const res = await fetch(u);
    expect(res.status).toBe(403);
  });

  it('is refused once expired', async () => {
    // Long enough that a loaded machine cannot let it lapse before the first fetch; the clock is moved past it below.
    const { url, expiresAt } = await storage.presignGet('private', key, { expiresInSeconds: 60 });
    expect((await fetch(url)).status).toBe(200);
    // The S3-compatible server runs in this process and judges expiry by its clock: moved, not waited on.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(expiresAt.getTime() + 1000);
    const res = await fetch(url).finally(() => vi.useRealTimers());
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Request has expired');
  });

  it('sets Content-Disposition on the response when asked (downloads)', async () => {
    const disposition = 'attachment; filename="my track.mp3"';
    const { url } = await storage.presignGet('private', key, { contentDisposition: disposition });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(disposition);
  });

  it('rejects lifetimes SigV4 cannot sign', async () => {
    await expect(storage.presignGet('private', key, { expiresInSeconds: 0 })).rejects.toThrow(RangeError);
    await expect(storage.presignGet('private', key, { expiresInSeconds: 604_801 })).rejects.toThrow(RangeError);
  });
});

describe('objects', () => {
  it('copies between buckets server-side, keeping size and ETag; delete is idempotent', async () => {
    const bytes = randomBytes(3000);
    const from = { bucket: 'private' as const, key: storage.audioKey('copyme', 'mp3') };
    const to = { bucket: 'public' as const, key: storage.audioKey('copyme', 'mp3') };
    expect((await upload(from.key, bytes)).status).toBe(200);

    await storage.copy(from, to);
    const source = await storage.head(from.bucket, from.key);
    const copied = await storage.head(to.bucket, to.key);
    expect(copied).toEqual(source);
    expect(copied).toMatchObject({ size: 3000, contentType: 'audio/mpeg' });
    expect(copied!.etag).toMatch(/^[0-9a-f]{32}$/);

    // The public copy is what the CDN URL serves, without any signature.
    const res = await fetch(storage.cdnUrl('copyme', 'mp3'));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);

    await storage.delete(to.bucket, to.key);
    await storage.delete(to.bucket, to.key);
    expect(await storage.head(to.bucket, to.key)).toBeNull();
    expect((await fetch(storage.cdnUrl('copyme', 'mp3'))).status).toBe(404);
    expect(await storage.head(from.bucket, from.key)).not.toBeNull();
  });

  it('copying a missing object fails with StorageObjectNotFoundError', async () => {
    await expect(
      storage.copy({ bucket: 'private', key: 'audio/none.mp3' }, { bucket: 'public', key: 'audio/none.mp3' }),
    ).rejects.toBeInstanceOf(StorageObjectNotFoundError);
    expect(await storage.head('public', 'audio/none.mp3')).toBeNull();
  });

  it('head of a missing key is null', async () => {
    expect(await storage.head('private', 'audio/missing.mp3')).toBeNull();
  });

  it('reads a byte range, fewer bytes past the end, none beyond it', async () => {
    const bytes = randomBytes(64);
    expect((await upload('staging/range', bytes)).status).toBe(200);
    expect(Buffer.from(await storage.readRange('private', 'staging/range', 0, 15)).equals(bytes.subarray(0, 16))).toBe(true);
    expect(Buffer.from(await storage.readRange('private', 'staging/range', 60, 4095)).equals(bytes.subarray(60))).toBe(true);
    expect((await storage.readRange('private', 'staging/range', 64, 100)).length).toBe(0);
    await expect(storage.readRange('private', 'staging/absent', 0, 15)).rejects.toBeInstanceOf(StorageObjectNotFoundError);
  });
});

describe('keys and URLs', () => {
  it('builds audio keys and CDN URLs from the config alone', () => {
    const withSlash = createStorage({ ...s3.config, cdnBaseUrl: 'https://cdn.plyr.fm/' });
    expect(withSlash.audioKey('abc123', 'mp3')).toBe('audio/abc123.mp3');
    expect(withSlash.cdnUrl('abc123', 'mp3')).toBe('https://cdn.plyr.fm/audio/abc123.mp3');
    expect(storage.cdnUrl('abc123', 'flac')).toBe(`${s3.config.cdnBaseUrl}/audio/abc123.flac`);
    withSlash.destroy();
  });

  it('refuses ids that would make another key', () => {
    expect(() => storage.audioKey('../x', 'mp3')).toThrow(TypeError);
    expect(() => storage.audioKey('abc', 'mp3/../../x')).toThrow(TypeError);
    expect(() => storage.stagingKey('a/b')).toThrow(TypeError);
  });
});

describe('ping', () => {
  it('passes when both buckets answer', async () => {
    await expect(storage.ping()).resolves.toBeUndefined();
  });

  it('fails fast with StorageUnavailableError when the storage is down', async () => {
    const down = createStorage({ ...s3.config, endpoint: `http://127.0.0.1:${await closedPort()}` });
    const started = performance.now();
    await expect(down.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(performance.now() - started).toBeLessThan(3000);
    down.destroy();
  });

  it('gives up within its bound when the storage accepts connections but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const hung = createStorage({ ...s3.config, endpoint: `http://127.0.0.1:${port}` });
    const started = performance.now();
    await expect(hung.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(performance.now() - started).toBeLessThan(3000);
    hung.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('fails when a bucket is missing', async () => {
    const wrong = createStorage({ ...s3.config, privateBucket: 'no-such-bucket' });
    await expect(wrong.ping()).rejects.toThrow(/no-such-bucket/);
    wrong.destroy();
  });
});

describe('presigning', () => {
  it('is pure computation: works with the storage unreachable, in well under a millisecond', async () => {
    const config: StorageConfig = { ...s3.config, endpoint: `http://127.0.0.1:${await closedPort()}` };
    const offline = createStorage(config);
    // Let the JIT settle first: the figure is for a warm server, as /audio sees it.
    for (let i = 0; i < 200; i++) await offline.presignGet('private', `audio/warmup${i}.mp3`);
    const n = 1000;
    const started = performance.now();
    for (let i = 0; i < n; i++) await offline.presignGet('private', `audio/file${i}.mp3`);
    const microsPerCall = ((performance.now() - started) * 1000) / n;
    console.info(`presignGet: ${microsPerCall.toFixed(1)} µs per call over ${n} calls`);
    // Loose on purpose (CI machines are shared); a network round trip per call would still fail above.
    expect(microsPerCall).toBeLessThan(10_000);
    offline.destroy();
  });
});
