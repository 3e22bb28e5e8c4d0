import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, describe, expect, it } from 'vitest';
import { createPresigner } from '../../src/storage/presigner.js';
import { createS3Client, type S3ConnectionConfig } from '../../src/storage/s3.js';

/**
 * s3rver (storage.test.ts) proves the URLs work on a signature-checking server, but only path-style
 * on plain HTTP. Production storage (R2, S3) is reached over TLS, possibly with the bucket in the
 * host name: there the proof is that the URL is, byte for byte, the one the AWS SDK's
 * getSignedUrl makes for the same request and instant.
 */

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const endpoints: S3ConnectionConfig[] = [
  { endpoint: 'http://127.0.0.1:4569', region: 'auto', forcePathStyle: true, ...credentials },
  { endpoint: 'http://127.0.0.1:4569', region: 'auto', forcePathStyle: false, ...credentials },
  { endpoint: 'https://0123abcd.r2.cloudflarestorage.com', region: 'auto', forcePathStyle: true, ...credentials },
  { endpoint: 'https://0123abcd.r2.cloudflarestorage.com', region: 'auto', forcePathStyle: false, ...credentials },
  { endpoint: 'https://s3.eu-west-3.amazonaws.com', region: 'eu-west-3', forcePathStyle: false, ...credentials },
  { endpoint: 'https://storage.example.com:8443/s3/', region: 'us-east-1', forcePathStyle: true, ...credentials },
  { endpoint: 'https://storage.example.com:8443/s3', region: 'us-east-1', forcePathStyle: false, ...credentials },
];
const buckets = ['plyr-audio-private', 'plyr.audio'];
const keys = ['audio/3f9a0c1d2e.mp3', "staging/a b+c é (1)'*!~.flac"];
const signingDate = new Date('2026-11-29T08:15:42Z');

const clients = endpoints.map((config) => createS3Client(config));
afterAll(() => clients.forEach((c) => c.destroy()));

describe.each(endpoints.map((config, i) => [config.endpoint, config.forcePathStyle, config, clients[i]!] as const))(
  '%s, forcePathStyle %s: the same URL as getSignedUrl',
  (_endpoint, _pathStyle, config, client) => {
    const presign = createPresigner(config);

    // The SDK cannot presign a dotted bucket in the host name of an IP endpoint (it throws); we go path-style there.
    const sdkBuckets = buckets.filter((b) => config.forcePathStyle || !b.includes('.') || !config.endpoint.startsWith('http://127.'));

    it.each(sdkBuckets.flatMap((bucket) => keys.map((key) => [bucket, key])))('GET %s %s', async (bucket, key) => {
      const ours = await presign({ method: 'GET', bucket, key, expiresInSeconds: 300, signingDate });
      const sdk = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300, signingDate });
      expect(ours).toBe(sdk);
    });

    it('GET with a Content-Disposition for the response (downloads)', async () => {
      const disposition = `attachment; filename="Ärtist - Song (live) 100%.mp3"; filename*=UTF-8''%C3%84rtist`;
      const ours = await presign({
        method: 'GET',
        bucket: buckets[0]!,
        key: keys[0]!,
        query: { 'response-content-disposition': disposition },
        expiresInSeconds: 604_800,
        signingDate,
      });
      const sdk = await getSignedUrl(
        client,
        new GetObjectCommand({ Bucket: buckets[0]!, Key: keys[0]!, ResponseContentDisposition: disposition }),
        { expiresIn: 604_800, signingDate },
      );
      expect(ours).toBe(sdk);
    });

    it('PUT with the content type and length signed (uploads)', async () => {
      const ours = await presign({
        method: 'PUT',
        bucket: buckets[0]!,
        key: keys[1]!,
        headers: { 'content-type': 'audio/flac', 'content-length': '12345678' },
        expiresInSeconds: 900,
        signingDate,
      });
      const sdk = await getSignedUrl(
        client,
        new PutObjectCommand({ Bucket: buckets[0]!, Key: keys[1]!, ContentType: 'audio/flac', ContentLength: 12_345_678 }),
        { expiresIn: 900, signingDate, signableHeaders: new Set(['content-type', 'content-length']) },
      );
      expect(ours).toBe(sdk);
    });
  },
);
