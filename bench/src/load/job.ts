/** What the runner asks of the load process, and what it gets back (both cross a process boundary as JSON). */
export interface LoadRequest {
  method: 'GET';
  path: string;
  headers?: Record<string, string>;
}

export interface LoadJob {
  url: string;
  connections: number;
  /** Either a measured time or a number of requests. */
  durationSeconds?: number;
  amount?: number;
  /** Stops a run by `amount` after this long anyway (a slow or busy machine must not stall the bench). */
  maxSeconds?: number;
  /** Each connection cycles through these in order. */
  requests: LoadRequest[];
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Socket errors and timeouts. */
  errors: number;
  timeouts: number;
  /** Responses per status code. */
  statuses: Record<string, number>;
}
