import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedS3, type EmbeddedS3Config } from '@plyr/embedded';

export const TEST_PUBLIC_BUCKET = 'plyr-audio';
export const TEST_PRIVATE_BUCKET = 'plyr-audio-private';

/**
 * A fresh S3-compatible server (s3rver, signatures checked) of its own for the calling test file,
 * on a free loopback port over an empty temp dir, with both buckets. `close()` in `afterAll`.
 */
export async function startTestS3(): Promise<{ config: EmbeddedS3Config & { presignTtlSeconds: number }; close: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'plyr-s3-'));
  const s3 = await startEmbeddedS3({
    dataDir,
    port: 0,
    publicBucket: TEST_PUBLIC_BUCKET,
    privateBucket: TEST_PRIVATE_BUCKET,
  });
  return {
    config: { ...s3.config, presignTtlSeconds: 300 },
    async close() {
      await s3.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The SPEC.md variables that point the API at a given S3-compatible server. */
export function storageEnv(config: {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  publicBucket: string;
  privateBucket: string;
  cdnBaseUrl: string;
}): Record<string, string> {
  return {
    S3_ENDPOINT: config.endpoint,
    S3_REGION: config.region,
    S3_ACCESS_KEY_ID: config.accessKeyId,
    S3_SECRET_ACCESS_KEY: config.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
    S3_PUBLIC_BUCKET: config.publicBucket,
    S3_PRIVATE_BUCKET: config.privateBucket,
    CDN_BASE_URL: config.cdnBaseUrl,
  };
}
