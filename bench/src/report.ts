import type { InvalidationResult, Measurement } from './scenarios.js';

/** One row of bench/results/<date>.json. */
export interface ScenarioReport {
  name: string;
  rps: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Socket errors and timeouts. */
  errors: number;
  ratioToCeiling: number | null;
  ratioToFloor: number | null;
  requests: number;
  statuses: Record<string, number>;
  /** Answers with a status this scenario must never give, or required statuses that never came (count 0). */
  unexpectedStatuses: Record<string, number>;
  /** The issue's targets for this scenario, joined; `met` when every one is. */
  target?: string;
  met?: boolean;
  targets?: Array<{ text: string; met: boolean | null }>;
  upstreamRequests?: number;
  rssBeforeMb?: number;
  rssAfterMb?: number;
  rssGrowthMb?: number;
  serverCpuUsPerRequest?: number;
  serverCpuShare?: number;
  pgStatementsPerRequest?: number | null;
  pgStatementsInRunByText?: Record<string, number>;
  redisCommandsPerRequest?: number | null;
  redisCommandsPerRequestByName?: Record<string, number>;
  offeredRps?: number;
  invalidation?: Record<string, InvalidationResult>;
  /** Why the scenario did not run. */
  skipped?: string;
}

interface Target {
  text: string;
  met(report: ScenarioReport): boolean;
}

/** Per-request counts are judged to two decimals: background work (a job queue's polling) shows as a few thousandths. */
const twoDecimals = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v * 100) / 100);

const atLeastFloor = (share: number): Target => ({ text: `>= ${share} x floor`, met: (r) => (r.ratioToFloor ?? 0) >= share });
/**
 * A warm play needs no database round trip, and no Redis command but the rate limiter's: the floor
 * runs that limiter and nothing else on Redis, so its redis/req in the same run is the limiter's
 * own (INFO commandstats counts the INCR and PTTL its one EVALSHA runs, so it reads 3, not 1).
 */
const warmPlay = (floorRedis: number | null): Target[] => [
  { text: '0 pg/req', met: (r) => twoDecimals(r.pgStatementsPerRequest) === 0 },
  {
    text: `redis/req <= floor's (${floorRedis ?? '?'})`,
    met: (r) => floorRedis !== null && (twoDecimals(r.redisCommandsPerRequest) ?? Infinity) <= twoDecimals(floorRedis)!,
  },
];

/** issue 16's targets (ratios within one run). */
const targetsOf = (floorRedis: number | null): Record<string, Target[]> => ({
  'audio-public': [atLeastFloor(0.9), ...warmPlay(floorRedis)],
  'audio-gated-supporter': [atLeastFloor(0.75), ...warmPlay(floorRedis)],
  'audio-gated-owner': [atLeastFloor(0.75), ...warmPlay(floorRedis)],
  'audio-head-supporter': [atLeastFloor(0.75), ...warmPlay(floorRedis)],
  'tracks-list': [atLeastFloor(0.3)],
  'tracks-list-fixed-rate': [{ text: 'p99 < 25 ms', met: (r) => r.p99Ms !== null && r.p99Ms < 25 }],
  stampede: [{ text: '1 upstream request', met: (r) => r.upstreamRequests === 1 }],
  memory: [{ text: 'growth < 50 MB', met: (r) => r.rssGrowthMb !== undefined && r.rssGrowthMb < 50 }],
  invalidation: [
    {
      text: 'p99 <= 1000 ms each',
      met: (r) => r.invalidation !== undefined && Object.values(r.invalidation).every((k) => k.failed === 0 && k.p99Ms <= 1000),
    },
  ],
});

/** Scenarios whose throughput is a steady 50-connection closed-loop rate, comparable with the references. */
const STEADY = new Set([
  'ceiling',
  'floor',
  'audio-public',
  'audio-gated-supporter',
  'audio-gated-owner',
  'audio-head-supporter',
  'tracks-list',
  'memory',
]);

const ratio = (rps: number | null, reference: number | null | undefined) =>
  rps !== null && reference ? Math.round((rps / reference) * 1000) / 1000 : null;

export function buildReports(measured: ReadonlyArray<{ name: string; measurement: Measurement }>): ScenarioReport[] {
  const rpsOf = (name: string) => measured.find((m) => m.name === name)?.measurement.load?.rps ?? null;
  const ceiling = rpsOf('ceiling');
  const floor = rpsOf('floor');
  const targets = targetsOf(measured.find((m) => m.name === 'floor')?.measurement.extra?.redisCommandsPerRequest ?? null);
  return measured.map(({ name, measurement: m }) => {
    const load = m.load;
    const statuses = load?.statuses ?? {};
    const unexpectedStatuses = Object.fromEntries(
      Object.entries(statuses).filter(([code]) => !m.expectedStatuses.includes(Number(code))),
    );
    for (const code of m.requiredStatuses ?? []) if (!statuses[code]) unexpectedStatuses[code] = 0;
    const steady = STEADY.has(name) && load ? load.rps : null;
    const report: ScenarioReport = {
      name,
      rps: load?.rps ?? null,
      p50Ms: load?.p50Ms ?? m.latency?.p50Ms ?? null,
      p99Ms: load?.p99Ms ?? m.latency?.p99Ms ?? null,
      errors: load ? load.errors : (m.errors ?? 0),
      ratioToCeiling: ratio(steady, ceiling),
      ratioToFloor: ratio(steady, floor),
      requests: load?.requests ?? 0,
      statuses,
      unexpectedStatuses,
      ...m.extra,
      ...(m.extra?.rssAfterMb !== undefined && m.extra.rssBeforeMb !== undefined
        ? { rssGrowthMb: Math.round((m.extra.rssAfterMb - m.extra.rssBeforeMb) * 10) / 10 }
        : {}),
      ...(m.skipped ? { skipped: m.skipped } : {}),
    };
    const scenarioTargets = targets[name];
    if (scenarioTargets) {
      report.target = scenarioTargets.map((t) => t.text).join('; ');
      report.targets = scenarioTargets.map((t) => ({ text: t.text, met: m.skipped ? null : t.met(report) }));
      if (!m.skipped) report.met = report.targets.every((t) => t.met);
    }
    return report;
  });
}

/** A scenario passed its checks: it ran, with no socket errors and no status it must never give. */
export const checksPassed = (r: ScenarioReport) => !r.skipped && r.errors === 0 && Object.keys(r.unexpectedStatuses).length === 0;

const invalidationNote = (results: Record<string, InvalidationResult>) =>
  Object.entries(results)
    .map(([kind, r]) => `${kind} p50 ${r.p50Ms} / p99 ${r.p99Ms} ms (poll ${r.pollP50Ms})${r.failed ? ` (${r.failed} of ${r.trials} failed: ${r.firstFailure})` : ''}`)
    .join(', ');

export function formatTable(reports: readonly ScenarioReport[]): string {
  const num = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '-' : v.toFixed(digits));
  const ms = (v: number | null | undefined) => num(v, v !== null && v !== undefined && !Number.isInteger(v) ? 1 : 0);
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'x ceiling', 'x floor', 'cpu us/req', 'pg/req', 'redis/req', 'target', 'result', 'notes'];
  const rightAligned = header.indexOf('target');
  const rows = reports.map((r) => {
    const notes = [
      r.offeredRps !== undefined ? `open loop, offered ${r.offeredRps} req/s` : '',
      r.upstreamRequests !== undefined ? `upstream ${r.upstreamRequests}` : '',
      r.rssBeforeMb !== undefined ? `rss ${r.rssBeforeMb} -> ${r.rssAfterMb} MB over ${r.requests} requests` : '',
      r.invalidation ? invalidationNote(r.invalidation) : '',
      Object.keys(r.unexpectedStatuses).length ? `unexpected statuses ${JSON.stringify(r.unexpectedStatuses)}` : '',
      r.skipped ? `skipped: ${r.skipped.slice(0, 120)}` : '',
    ].filter(Boolean);
    const missed = (r.targets ?? []).filter((t) => t.met === false).map((t) => t.text);
    const result = !checksPassed(r) ? 'FAILED' : r.met === undefined ? '' : r.met ? 'met' : `missed ${missed.join(', ')}`;
    return [
      r.name,
      num(r.rps),
      ms(r.p50Ms),
      ms(r.p99Ms),
      String(r.errors),
      num(r.ratioToCeiling, 3),
      num(r.ratioToFloor, 3),
      num(r.serverCpuUsPerRequest),
      num(r.pgStatementsPerRequest, 3),
      num(r.redisCommandsPerRequest, 3),
      r.target ?? '',
      result,
      notes.join('; '),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i >= rightAligned ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
