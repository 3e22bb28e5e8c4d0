/** What the runner asks of the load process, and what it gets back (both cross a process boundary as JSON). */
export interface LoadRequest {
  method: 'GET' | 'HEAD';
  path: string;
  headers?: Record<string, string>;
}

export interface LoadJob {
  url: string;
  /**
   * `autocannon` (the default) for GET at full load; `undici` for HEAD, whose answers autocannon's
   * parser waits a body for, and for an open loop (`ratePerSecond`).
   */
  client?: 'autocannon' | 'undici';
  /** Closed loop: this many requests in flight, each sent when the previous one on its connection answers. */
  connections: number;
  /**
   * Open loop (undici only): requests sent on a fixed schedule at this rate whatever the latency;
   * each latency counts from the request's scheduled time, so a slow answer cannot delay the next send.
   */
  ratePerSecond?: number;
  /** Either a measured time or a number of requests. */
  durationSeconds?: number;
  amount?: number;
  /** Stops a run by `amount` after this long anyway (a slow or busy machine must not stall the bench). */
  maxSeconds?: number;
  /** Each connection cycles through these in order. */
  requests: LoadRequest[];
}

export interface LoadResult {
  /** Answers received in the run. */
  requests: number;
  /** Requests sent, answered or not (the server did the work of those still in flight at the end too). */
  sent: number;
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
