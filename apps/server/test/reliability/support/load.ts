import type { HttpAnswer } from './http.js';

export interface LoadSample {
  /** What the test said was going on when the request was sent (e.g. `redis down`). */
  phase: string;
  kind: string;
  status: number;
  ms: number;
  /** Set when no answer came (timeout, connection error). */
  error?: string;
}

export interface Load {
  /** Tags the requests sent from now on. */
  phase: string;
  readonly samples: LoadSample[];
  /** Resolves once `count` answers (or failures) of requests sent in `phase` are recorded. */
  answered(phase: string, count: number): Promise<void>;
  stop(): Promise<LoadSample[]>;
}

export type LoadRequest = [kind: string, send: (i: number) => Promise<HttpAnswer>];

/**
 * Mixed traffic from `concurrency` loops, each sending the next request of `mix` (round robin) and
 * pausing `pauseMs` between requests, until stopped. Every answer, or its absence, is recorded.
 */
export function startLoad(mix: LoadRequest[], opts: { concurrency: number; pauseMs: number; phase: string }): Load {
  const samples: LoadSample[] = [];
  let running = true;
  let counter = 0;
  const waiters = new Set<{ phase: string; count: number; resolve: () => void }>();
  const record = (sample: LoadSample) => {
    samples.push(sample);
    for (const waiter of waiters) {
      if (samples.filter((s) => s.phase === waiter.phase).length < waiter.count) continue;
      waiters.delete(waiter);
      waiter.resolve();
    }
  };
  const load: Load = {
    phase: opts.phase,
    samples,
    answered(phase, count) {
      if (samples.filter((s) => s.phase === phase).length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.add({ phase, count, resolve }));
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      return samples;
    },
  };
  const loop = async () => {
    while (running) {
      const i = counter++;
      const [kind, send] = mix[i % mix.length]!;
      const phase = load.phase;
      const started = performance.now();
      try {
        const answer = await send(i);
        record({ phase, kind, status: answer.status, ms: answer.ms });
      } catch (err) {
        record({ phase, kind, status: 0, ms: performance.now() - started, error: (err as Error).name });
      }
      if (opts.pauseMs > 0) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  };
  const loops = Array.from({ length: opts.concurrency }, loop);
  return load;
}

/** Samples grouped as `phase kind status` → count, for a readable assertion message. */
export function tally(samples: LoadSample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    const key = `${s.phase} | ${s.kind} | ${s.error ?? s.status}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
