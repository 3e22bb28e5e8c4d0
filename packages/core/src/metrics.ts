import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric the product exports, on a registry of its own per process (never the
 * library's global one, so two apps in one test process count apart). The host serves it on
 * METRICS_PORT; domain code only increments what it owns.
 */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpDuration: Histogram<'route' | 'method'>;
  /** What `/audio` answered: redirect_public, redirect_gated, head_gated, or the refusal's reason (not_found, audio_missing, login_required, support_required, unavailable). */
  audioAnswers: Counter<'decision'>;
  supporterChecks: Counter<'source' | 'outcome'>;
  supporterUpstreamSeconds: Histogram<'source'>;
  cacheLookups: Counter<'cache' | 'tier' | 'result'>;
  jobsFinished: Counter<'name' | 'result'>;
  /** Drift the reconciler found, by kind and action (repaired, reported, failed). */
  reconcilerFindings: Counter<'kind' | 'action'>;
  /** Reconciler runs by result: clean, repaired (all found was repaired), drift (some left), failed. */
  reconcilerRuns: Counter<'result'>;
  reconcilerLastRunSeconds: Gauge;
  reconcilerLastRunTimestamp: Gauge;
  /**
   * Adds a gauge whose value is read at scrape time (queue depth, pool use). `collect` returns one
   * value per label set; a failing read leaves the gauge empty for that scrape.
   */
  addScrapeGauge<L extends string>(name: string, help: string, labelNames: readonly L[], collect: () => Promise<Array<{ labels: Record<L, string>; value: number }>>): void;
}

const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'plyr_' });
  // prom-client names these gauges `*_total`, which Prometheus reserves for counters (promtool refuses them).
  for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
    registry.removeSingleMetric(`plyr_nodejs_${name}`);
  }
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'plyr_http_requests_total',
      help: 'HTTP requests answered, by route, method and status code',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'plyr_http_request_duration_seconds',
      help: 'Time from a request arriving to its response finishing, by route and method',
      labelNames: ['route', 'method'],
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    audioAnswers: new Counter({
      name: 'plyr_audio_answers_total',
      help: 'Answers of /audio by decision',
      labelNames: ['decision'],
      registers,
    }),
    supporterChecks: new Counter({
      name: 'plyr_supporter_checks_total',
      help: 'Supporter-source lookups made upstream, by source and outcome (supporter, not_supporter, unavailable)',
      labelNames: ['source', 'outcome'],
      registers,
    }),
    supporterUpstreamSeconds: new Histogram({
      name: 'plyr_supporter_upstream_duration_seconds',
      help: 'Time one supporter-source lookup took upstream, by source',
      labelNames: ['source'],
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    cacheLookups: new Counter({
      name: 'plyr_cache_lookups_total',
      help: 'Cache lookups by cache, tier (memory, redis) and result (hit, miss)',
      labelNames: ['cache', 'tier', 'result'],
      registers,
    }),
    jobsFinished: new Counter({
      name: 'plyr_jobs_finished_total',
      help: 'Job runs that ended, by job name and result (completed, failed)',
      labelNames: ['name', 'result'],
      registers,
    }),
    reconcilerFindings: new Counter({
      name: 'plyr_reconciler_findings_total',
      help: 'Drift the reconciler found, by kind and what it did (repaired, reported, failed)',
      labelNames: ['kind', 'action'],
      registers,
    }),
    reconcilerRuns: new Counter({
      name: 'plyr_reconciler_runs_total',
      help: 'Reconciler runs by result (clean, repaired, drift, failed)',
      labelNames: ['result'],
      registers,
    }),
    reconcilerLastRunSeconds: new Gauge({
      name: 'plyr_reconciler_last_run_duration_seconds',
      help: "How long this process's last reconciler run took",
      registers,
    }),
    reconcilerLastRunTimestamp: new Gauge({
      name: 'plyr_reconciler_last_run_timestamp_seconds',
      help: "When this process's last reconciler run ended (Unix time)",
      registers,
    }),
    addScrapeGauge(name, help, labelNames, collect) {
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          try {
            for (const { labels, value } of await collect()) this.set(labels, value);
          } catch {
            // A scrape during an outage shows the gauge empty rather than failing the whole page.
          }
        },
      });
    },
  };
}
