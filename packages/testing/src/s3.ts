import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedS3, type StorageConfig } from '@plyr/core/storage/index';

export const TEST_PUBLIC_BUCKET = 'plyr-audio';
export const TEST_PRIVATE_BUCKET = 'plyr-audio-private';

/**
 * A fresh S3-compatible server (s3rver, signatures checked) of its own for the calling test file,
 * on a free loopback port over an empty temp dir, with both buckets. `close()` in `afterAll`.
 */
export async function startTestS3(): Promise<{ config: StorageConfig; close: () => Promise<void> }> {
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
