import type { Measurement } from './scenarios.js';

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
  target?: string;
  met?: boolean;
  upstreamRequests?: number;
  rssBeforeMb?: number;
  rssAfterMb?: number;
  rssGrowthMb?: number;
  serverCpuUsPerRequest?: number;
  serverCpuShare?: number;
  /** Why the scenario did not run. */
  skipped?: string;
}

interface Target {
  text: string;
  met(report: ScenarioReport): boolean;
}

/** issue 10's targets. */
const TARGETS: Record<string, Target> = {
  'audio-public': { text: '>= 0.7 x floor', met: (r) => (r.ratioToFloor ?? 0) >= 0.7 },
  'audio-gated-supporter': { text: '>= 0.5 x floor', met: (r) => (r.ratioToFloor ?? 0) >= 0.5 },
  'audio-gated-owner': { text: '>= 0.5 x floor', met: (r) => (r.ratioToFloor ?? 0) >= 0.5 },
  'tracks-list': { text: 'p99 < 25 ms', met: (r) => r.p99Ms !== null && r.p99Ms < 25 },
  stampede: { text: '1 upstream request', met: (r) => r.upstreamRequests === 1 },
  memory: { text: 'growth < 50 MB', met: (r) => r.rssGrowthMb !== undefined && r.rssGrowthMb < 50 },
};

/** Scenarios whose throughput is a steady 50-connection rate, comparable with the references. */
const STEADY = new Set(['ceiling', 'floor', 'audio-public', 'audio-gated-supporter', 'audio-gated-owner', 'tracks-list', 'memory']);

const ratio = (rps: number | null, reference: number | null | undefined) =>
  rps !== null && reference ? Math.round((rps / reference) * 1000) / 1000 : null;

export function buildReports(measured: ReadonlyArray<{ name: string; measurement: Measurement }>): ScenarioReport[] {
  const rpsOf = (name: string) => measured.find((m) => m.name === name)?.measurement.load?.rps ?? null;
  const ceiling = rpsOf('ceiling');
  const floor = rpsOf('floor');
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
      p50Ms: load?.p50Ms ?? null,
      p99Ms: load?.p99Ms ?? null,
      errors: load ? load.errors : 0,
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
    const target = TARGETS[name];
    if (target) {
      report.target = target.text;
      if (!m.skipped) report.met = target.met(report);
    }
    return report;
  });
}

/** A scenario passed its checks: it ran, with no socket errors and no status it must never give. */
export const checksPassed = (r: ScenarioReport) => !r.skipped && r.errors === 0 && Object.keys(r.unexpectedStatuses).length === 0;

export function formatTable(reports: readonly ScenarioReport[]): string {
  const num = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '-' : v.toFixed(digits));
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'x ceiling', 'x floor', 'cpu us/req', 'target', 'result', 'notes'];
  const rows = reports.map((r) => {
    const notes = [
      r.upstreamRequests !== undefined ? `upstream ${r.upstreamRequests}` : '',
      r.rssBeforeMb !== undefined ? `rss ${r.rssBeforeMb} -> ${r.rssAfterMb} MB over ${r.requests} requests` : '',
      Object.keys(r.unexpectedStatuses).length ? `unexpected statuses ${JSON.stringify(r.unexpectedStatuses)}` : '',
      r.skipped ? `skipped: ${r.skipped.slice(0, 120)}` : '',
    ].filter(Boolean);
    const result = !checksPassed(r) ? 'FAILED' : r.met === undefined ? '' : r.met ? 'met' : 'missed';
    return [
      r.name,
      num(r.rps),
      num(r.p50Ms),
      num(r.p99Ms),
      String(r.errors),
      num(r.ratioToCeiling, 3),
      num(r.ratioToFloor, 3),
      num(r.serverCpuUsPerRequest),
      r.target ?? '',
      result,
      notes.join('; '),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i >= 8 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
