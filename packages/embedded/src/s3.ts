// s3rver ships no types; the reference brings ours into every program that imports this module.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./s3rver.d.ts" />
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import { refuseEmbeddedRequest } from './s3-access.js';

/** What the API's storage needs to reach the server (core's StorageConfig without the presign TTL). */
export interface EmbeddedS3Config {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  publicBucket: string;
  privateBucket: string;
  cdnBaseUrl: string;
}

export interface EmbeddedS3 {
  config: EmbeddedS3Config;
  close(): Promise<void>;
}

/** Tried first so the CDN URLs stay the same across restarts; any free port when it is taken. */
export const EMBEDDED_S3_DEFAULT_PORT = 4569;
/** The one key pair s3rver accepts; the server listens on loopback only. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

const EXPOSED_HEADERS = ['Accept-Ranges', 'Content-Length', 'Content-Range', 'Content-Type', 'ETag']
  .map((h) => `<ExposeHeader>${h}</ExposeHeader>`)
  .join('');

/** Media elements and fetch() on any site may read public audio, with ranges. */
const PUBLIC_CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>
<AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader>
${EXPOSED_HEADERS}<MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

/** Browsers PUT uploads and GET gated audio here with presigned URLs, which carry the authority. */
const PRIVATE_CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>
<AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedMethod>PUT</AllowedMethod>
<AllowedHeader>*</AllowedHeader>${EXPOSED_HEADERS}<MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

/**
 * An S3-compatible server in this process (s3rver: checks signatures and expiry), persisting under
 * `{dataDir}/s3`, with both buckets, the public one readable anonymously like a CDN origin.
 */
export async function startEmbeddedS3(opts: {
  dataDir: string;
  port?: number;
  publicBucket: string;
  privateBucket: string;
}): Promise<EmbeddedS3> {
  const s3rver = new S3rver({
    directory: join(opts.dataDir, 's3'),
    silent: true,
    // Path-style only: a Host header must never be read as a bucket name.
    vhostBuckets: false,
    configureBuckets: [
      { name: opts.publicBucket, configs: [PUBLIC_CORS] },
      { name: opts.privateBucket, configs: [PRIVATE_CORS] },
    ],
  });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();

  const server = createServer((req, res) => {
    const refusal = refuseEmbeddedRequest(req.method ?? 'GET', req.url ?? '/', req.headers, opts.publicBucket);
    if (!refusal) return handle(req, res);
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`;
    res.writeHead(refusal.status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });

  if (opts.port !== undefined) {
    await listen(server, opts.port);
  } else {
    await listen(server, EMBEDDED_S3_DEFAULT_PORT).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') throw err;
      return listen(server, 0);
    });
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('embedded S3 server has no TCP address');
  const endpoint = `http://127.0.0.1:${address.port}`;

  return {
    config: {
      endpoint,
      region: 'us-east-1',
      ...CREDENTIALS,
      forcePathStyle: true,
      publicBucket: opts.publicBucket,
      privateBucket: opts.privateBucket,
      cdnBaseUrl: `${endpoint}/${opts.publicBucket}`,
    },
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
