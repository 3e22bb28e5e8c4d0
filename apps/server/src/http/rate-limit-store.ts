import type { Redis } from 'ioredis';
import { MemoryStore, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Logger } from 'pino';

/** The counter store failed (Redis unreachable); the limiter then serves the request unlimited. */
export class RateLimitStoreError extends Error {
  override name = 'RateLimitStoreError';
}

/**
 * Logs one error when counting starts failing and one line when it works again, never one per
 * request. Each increment notes the epoch it started in, so a late answer from before a state
 * change (a request in flight while Redis went down or came back) cannot flip the state again.
 */
export class StoreOutage {
  #down = false;
  #epoch = 0;

  constructor(private readonly logger: Logger) {}

  get epoch(): number {
    return this.#epoch;
  }

  failed(err: unknown, startedIn: number): void {
    if (this.#down || startedIn !== this.#epoch) return;
    this.#down = true;
    this.#epoch++;
    this.logger.error(
      { err: { message: (err as Error)?.message } },
      'rate limiting suspended: its Redis store failed; requests are served unlimited until it answers again',
    );
  }

  succeeded(startedIn: number): void {
    if (!this.#down || startedIn !== this.#epoch) return;
    this.#down = false;
    this.#epoch++;
    this.logger.info('rate limiting resumed: its Redis store answers again');
  }
}

/** A RedisStore that reports failures to the outage tracker and raises them as RateLimitStoreError. */
class ObservedStore implements Store {
  readonly localKeys = false;

  constructor(
    private readonly inner: RedisStore,
    private readonly outage: StoreOutage,
  ) {}

  // express-rate-limit's double-count check tells stores apart by prefix.
  get prefix(): string {
    return this.inner.prefix;
  }

  init(options: Options): void {
    this.inner.init(options);
  }

  async increment(key: string): Promise<IncrementResponse> {
    const epoch = this.outage.epoch;
    try {
      const counted = await this.inner.increment(key);
      this.outage.succeeded(epoch);
      return counted;
    } catch (cause) {
      this.outage.failed(cause, epoch);
      throw new RateLimitStoreError('rate-limit store unavailable', { cause });
    }
  }

  decrement(key: string): Promise<void> {
    return this.inner.decrement(key);
  }

  resetKey(key: string): Promise<void> {
    return this.inner.resetKey(key);
  }
}

/**
 * The counters of one group: in Redis under `rl:<group>:` (shared by every instance), or in this
 * process when there is no Redis.
 */
export function createRateLimitStore(group: string, redis: Redis | null, outage: StoreOutage): Store {
  if (!redis) return new MemoryStore();
  const store = new RedisStore({
    prefix: `rl:${group}:`,
    sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
  });
  // The constructor loads its Lua scripts at once. With Redis down those promises reject before
  // anything awaits them, an unhandled rejection that would end the process; `increment` reloads
  // the script itself when its promise failed or Redis restarted without it (NOSCRIPT).
  void Promise.allSettled([store.incrementScriptSha, store.getScriptSha]);
  return new ObservedStore(store, outage);
}
