// @20minutes/s3rver ships no types; this covers the part of its API that embedded.ts uses.
declare module '@20minutes/s3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    directory: string;
    silent?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
  }

  export default class S3rver {
    constructor(options: S3rverOptions);
    /** Creates the buckets and applies their configs (idempotent across restarts). */
    configureBuckets(): Promise<unknown>;
    /** The Koa request listener, to mount on a server of our own. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
}
