import type { Db } from '@plyr/db';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { NodeOAuthClient } from '@atproto/oauth-client-node';
import type { CoreConfig } from './config.js';
import type { Storage } from './storage/index.js';
import type { SupporterService } from './supporters/index.js';
import type { AuthService } from './auth/index.js';
import type { Metrics } from './metrics.js';
import type { HotReads } from './cache/hot-reads.js';

/** Everything a request handler may use; built once per process by the host. Jobs get narrower slices. */
export interface Services {
  config: CoreConfig;
  db: Db;
  redis: Redis | null;
  storage: Storage;
  supporters: SupporterService;
  oauth: NodeOAuthClient;
  auth: AuthService;
  logger: Logger;
  metrics: Metrics;
  /** Tracks and credentials as every play reads them: memory, then Redis, then PostgreSQL. */
  hot: HotReads;
}
