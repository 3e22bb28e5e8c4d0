import { S3Client } from '@aws-sdk/client-s3';

/** What it takes to reach an S3-compatible endpoint (Cloudflare R2 in production). */
export interface S3ConnectionConfig {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

/** A TCP connect slower than this means the endpoint is down or unreachable. */
export const S3_CONNECTION_TIMEOUT_MS = 3_000;
/** Whole request budget; a server-side copy of a 200 MB object fits well inside it on R2. */
export const S3_REQUEST_TIMEOUT_MS = 30_000;
/** One try plus two retries (with the SDK's jittered backoff) for throttling and transient 5xx. */
export const S3_MAX_ATTEMPTS = 3;

export function createS3Client(config: S3ConnectionConfig): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    // R2 and other non-AWS servers reject or corrupt the SDK's default CRC32 trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: S3_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: S3_CONNECTION_TIMEOUT_MS,
      requestTimeout: S3_REQUEST_TIMEOUT_MS,
      // Without this the SDK only logs a warning when requestTimeout is exceeded.
      throwOnRequestTimeout: true,
    },
  });
}
