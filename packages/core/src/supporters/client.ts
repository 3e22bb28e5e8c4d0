import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

/** Why atprotofans gave no usable answer; none of these means "not a supporter". */
export type AtprotofansFailure = 'timeout' | 'network' | 'http_status' | 'malformed_body';

export class AtprotofansError extends Error {
  override readonly name = 'AtprotofansError';
  constructor(
    readonly failure: AtprotofansFailure,
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface AtprotofansClientOptions {
  baseUrl: string;
  /** Budget for the whole validation, retry included. */
  timeoutMs: number;
  fetch: typeof fetch;
  /** Called before every HTTP attempt (retries count). */
  onRequest?: () => void;
}

export interface AtprotofansClient {
  /** Whether `supporterDid` directly supports `artistDid`; AtprotofansError when there is no usable answer. */
  validateSupporter(supporterDid: string, artistDid: string): Promise<boolean>;
}

const validateSupporterResponse = z.object({ valid: z.boolean(), profile: z.unknown().optional() });

const RETRY_BASE_DELAY_MS = 100;

// 50–150 ms, so instances that failed together do not retry together.
const retryDelayMs = () => RETRY_BASE_DELAY_MS * (0.5 + Math.random());

const isRetryable = (err: AtprotofansError) =>
  err.failure === 'network' || (err.failure === 'http_status' && (err.status ?? 0) >= 500);

export function createAtprotofansClient(options: AtprotofansClientOptions): AtprotofansClient {
  const base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
  const endpoint = new URL('xrpc/com.atprotofans.validateSupporter', base);

  const timeoutError = (cause: unknown) =>
    new AtprotofansError('timeout', `atprotofans did not answer within ${options.timeoutMs} ms`, undefined, { cause });

  async function attempt(url: URL, deadline: AbortSignal): Promise<boolean> {
    options.onRequest?.();
    let response: Response;
    try {
      response = await options.fetch(url, { signal: deadline, headers: { accept: 'application/json' } });
    } catch (cause) {
      throw deadline.aborted
        ? timeoutError(cause)
        : new AtprotofansError('network', 'atprotofans could not be reached', undefined, { cause });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new AtprotofansError('http_status', `atprotofans answered ${response.status}`, response.status);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (cause) {
      throw deadline.aborted
        ? timeoutError(cause)
        : new AtprotofansError('malformed_body', 'atprotofans answered with a body that is not JSON', 200, { cause });
    }
    const parsed = validateSupporterResponse.safeParse(body);
    if (!parsed.success) {
      throw new AtprotofansError('malformed_body', 'atprotofans answered without a boolean `valid`', 200, {
        cause: parsed.error,
      });
    }
    return parsed.data.valid;
  }

  return {
    async validateSupporter(supporterDid, artistDid) {
      const url = new URL(endpoint);
      url.searchParams.set('supporter', supporterDid);
      url.searchParams.set('subject', artistDid);
      url.searchParams.set('signer', artistDid);
      const deadline = AbortSignal.timeout(options.timeoutMs);
      try {
        return await attempt(url, deadline);
      } catch (err) {
        if (!(err instanceof AtprotofansError) || !isRetryable(err)) throw err;
        try {
          await sleep(retryDelayMs(), undefined, { signal: deadline });
        } catch {
          throw err;
        }
        return attempt(url, deadline);
      }
    },
  };
}
