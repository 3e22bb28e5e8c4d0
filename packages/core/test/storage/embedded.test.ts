import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_S3_DEFAULT_PORT, startEmbeddedS3, type EmbeddedS3 } from '@plyr/embedded';
import { createStorage, type Storage } from '../../src/storage/index.js';

const buckets = { publicBucket: 'pub-audio', privateBucket: 'priv-audio' };
const bytes = randomBytes(1024);
let dataDir: string;
let s3: EmbeddedS3;
let storage: Storage;

async function put(bucket: 'public' | 'private', key: string): Promise<void> {
  // Uploads land in the private bucket; a server-side copy publishes them.
  const staged = `staging/${randomBytes(4).toString('hex')}`;
  const url = await storage.presignPut(staged, { contentType: 'audio/mpeg', contentLength: bytes.length, expiresInSeconds: 60 });
  expect((await fetch(url, { method: 'PUT', body: bytes, headers: { 'Content-Type': 'audio/mpeg' } })).status).toBe(200);
  await storage.copy({ bucket: 'private', key: staged }, { bucket, key });
  await storage.delete('private', staged);
}

/** A request with the path sent byte for byte (fetch would resolve `..` before sending). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(s3.config.endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'plyr-embedded-s3-'));
  s3 = await startEmbeddedS3({ dataDir, port: 0, ...buckets });
  storage = createStorage({ ...s3.config, presignTtlSeconds: 300 });
  await put('public', 'audio/open.mp3');
  await put('private', 'audio/gated.mp3');
});

afterAll(async () => {
  storage?.destroy();
  await s3?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the public bucket, as a CDN origin', () => {
  it('serves objects without a signature, with CORS for media on other sites', async () => {
    expect(s3.config.cdnBaseUrl).toBe(`${s3.config.endpoint}/${buckets.publicBucket}`);
    const res = await fetch(storage.cdnUrl('open', 'mp3'), { headers: { Origin: 'https://plyr.fm' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toContain('Content-Range');
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('serves byte ranges without a signature', async () => {
    const res = await fetch(storage.cdnUrl('open', 'mp3'), { headers: { Range: 'bytes=0-9' } });
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(0, 10))).toBe(true);
  });

  it('answers a CORS preflight for a ranged fetch', async () => {
    const res = await fetch(storage.cdnUrl('open', 'mp3'), {
      method: 'OPTIONS',
      headers: { Origin: 'https://plyr.fm', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toBe('range');
  });

  it('refuses anonymous writes, deletes and listings', async () => {
    const url = `${s3.config.cdnBaseUrl}/audio/planted.mp3`;
    expect((await fetch(url, { method: 'PUT', body: 'x' })).status).toBe(403);
    expect(await storage.head('public', 'audio/planted.mp3')).toBeNull();
    expect((await fetch(storage.cdnUrl('open', 'mp3'), { method: 'DELETE' })).status).toBe(403);
    expect(await storage.head('public', 'audio/open.mp3')).not.toBeNull();
    expect((await fetch(`${s3.config.cdnBaseUrl}/`)).status).toBe(403);
  });
});

describe('the private bucket', () => {
  it('refuses unsigned reads', async () => {
    const res = await fetch(`${s3.config.endpoint}/${buckets.privateBucket}/audio/gated.mp3`);
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain(bytes.subarray(0, 16).toString('latin1'));
  });

  it('cannot be reached through the public bucket with dot segments', async () => {
    for (const path of [
      `/${buckets.publicBucket}/../${buckets.privateBucket}/audio/gated.mp3`,
      `/${buckets.publicBucket}/%2e%2e/${buckets.privateBucket}/audio/gated.mp3`,
      `/${buckets.publicBucket}/audio%2F..%2F..%2F${buckets.privateBucket}%2Faudio%2Fgated.mp3`,
    ]) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(400);
    }
  });

  it('cannot be reached by naming it in the Host header', async () => {
    const res = await rawGet(`/${buckets.publicBucket}/audio/gated.mp3`, {
      Host: `${buckets.privateBucket}.s3.amazonaws.com`,
    });
    expect(res.status).toBe(403);
  });

  it('lets a browser on another site preflight a presigned upload', async () => {
    const url = await storage.presignPut('staging/browser', { contentType: 'audio/mpeg', contentLength: 10, expiresInSeconds: 60 });
    const res = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://plyr.fm',
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-methods')).toContain('PUT');
  });
});

describe('lifecycle', () => {
  it('keeps objects under {dataDir}/s3 across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plyr-embedded-restart-'));
    try {
      const first = await startEmbeddedS3({ dataDir: dir, port: 0, ...buckets });
      const a = createStorage({ ...first.config, presignTtlSeconds: 300 });
      const url = await a.presignPut('staging/kept', { contentType: 'audio/flac', contentLength: 5, expiresInSeconds: 60 });
      expect((await fetch(url, { method: 'PUT', body: 'fLaC!', headers: { 'Content-Type': 'audio/flac' } })).status).toBe(200);
      a.destroy();
      await first.close();
      expect(existsSync(join(dir, 's3', buckets.privateBucket))).toBe(true);

      const second = await startEmbeddedS3({ dataDir: dir, port: 0, ...buckets });
      const b = createStorage({ ...second.config, presignTtlSeconds: 300 });
      expect(await b.head('private', 'staging/kept')).toMatchObject({ size: 5, contentType: 'audio/flac' });
      await b.ping();
      b.destroy();
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it(`takes another port when ${EMBEDDED_S3_DEFAULT_PORT} is in use`, async () => {
    const blocker: Server = createServer();
    const blocked = await new Promise<boolean>((resolve) => {
      blocker.once('error', () => resolve(false)); // someone else holds it: just as good
      blocker.listen(EMBEDDED_S3_DEFAULT_PORT, '127.0.0.1', () => resolve(true));
    });
    const dir = await mkdtemp(join(tmpdir(), 'plyr-embedded-port-'));
    try {
      const other = await startEmbeddedS3({ dataDir: dir, ...buckets });
      expect(new URL(other.config.endpoint).port).not.toBe(String(EMBEDDED_S3_DEFAULT_PORT));
      const c = createStorage({ ...other.config, presignTtlSeconds: 300 });
      await c.ping();
      c.destroy();
      await other.close();
    } finally {
      if (blocked) await new Promise((resolve) => blocker.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
