import { DRIFT_KINDS, type DriftKind, type Finding, type FindingAction, type RepairPolicy } from './findings.js';

/** Findings kept in full in one report; the counts always cover all of them. */
export const MAX_LISTED_FINDINGS = 500;

export type KindCounts = Record<FindingAction, number>;

/** Why a subject was not checked this run (a later run checks it). */
export interface SkippedCounts {
  /** A gate change or record write whose job is still running or queued. */
  inFlight: number;
  /** Its lock was held by a move, a delete or another run for longer than the lock wait. */
  busy: number;
  /** No OAuth grant for the account (records cannot be read or written until they sign in again). */
  withoutSession: number;
  /** A check or repair that threw something unexpected (logged). */
  errors: number;
}

export interface ReconcileReport {
  repair: RepairPolicy;
  startedAt: string;
  durationMs: number;
  checked: { tracks: number; objects: number; likeAccounts: number };
  skipped: SkippedCounts;
  /** Tracks already marked unavailable whose audio is still missing (known, not new drift). */
  unavailable: number;
  counts: Partial<Record<DriftKind, KindCounts>>;
  findings: Finding[];
  /** More findings than MAX_LISTED_FINDINGS: `findings` lists the first ones. */
  findingsTruncated: boolean;
  /** Findings not repaired (reported or failed): the CLI exits 1 when any. */
  unresolved: number;
}

/** Collects one run's findings and counts. */
export class ReportBuilder {
  readonly checked = { tracks: 0, objects: 0, likeAccounts: 0 };
  readonly skipped: SkippedCounts = { inFlight: 0, busy: 0, withoutSession: 0, errors: 0 };
  unavailable = 0;
  private readonly counts: Partial<Record<DriftKind, KindCounts>> = {};
  private readonly findings: Finding[] = [];
  private total = 0;
  private readonly started = new Date();

  constructor(readonly repair: RepairPolicy) {}

  add(finding: Finding): void {
    const counts = (this.counts[finding.kind] ??= { repaired: 0, reported: 0, failed: 0 });
    counts[finding.action]++;
    this.total++;
    if (this.findings.length < MAX_LISTED_FINDINGS) this.findings.push(finding);
  }

  build(now = new Date()): ReconcileReport {
    const unresolved = Object.values(this.counts).reduce((n, c) => n + c.reported + c.failed, 0);
    return {
      repair: this.repair,
      startedAt: this.started.toISOString(),
      durationMs: now.getTime() - this.started.getTime(),
      checked: { ...this.checked },
      skipped: { ...this.skipped },
      unavailable: this.unavailable,
      counts: structuredClone(this.counts),
      findings: [...this.findings],
      findingsTruncated: this.total > this.findings.length,
      unresolved,
    };
  }
}

/** The counts of a report, for a log line or a JSON summary: no per-finding detail. */
export function reportSummary(report: ReconcileReport) {
  const { findings: _, ...summary } = report;
  return summary;
}

/** The report as a person reads it: what was checked, then each finding and what was done. */
export function formatReport(report: ReconcileReport): string {
  const lines: string[] = [];
  const mode = { none: 'report only', scheduled: 'repairing what is safe', all: 'repairing' }[report.repair];
  lines.push(`Drift check (${mode}), ${report.startedAt}, ${report.durationMs} ms`);
  lines.push(`Checked ${report.checked.tracks} tracks, ${report.checked.objects} bucket objects, the likes of ${report.checked.likeAccounts} accounts.`);
  const { inFlight, busy, withoutSession, errors } = report.skipped;
  if (inFlight + busy + withoutSession + errors > 0) {
    lines.push(`Not checked this time: ${inFlight} in flight, ${busy} busy, ${withoutSession} without an OAuth session, ${errors} errors.`);
  }
  if (report.unavailable > 0) lines.push(`${report.unavailable} tracks already marked unavailable (audio still missing).`);
  const kinds = Object.keys(report.counts) as DriftKind[];
  if (kinds.length === 0) {
    lines.push('No drift found.');
    return lines.join('\n');
  }
  lines.push('', 'Drift found:');
  for (const kind of kinds) {
    const c = report.counts[kind]!;
    lines.push(`  ${kind}: ${c.repaired + c.reported + c.failed} (repaired ${c.repaired}, reported ${c.reported}, failed ${c.failed}): ${DRIFT_KINDS[kind]}`);
  }
  lines.push('');
  for (const f of report.findings) lines.push(`  [${f.action}] ${f.kind} ${f.subject}: ${f.detail}${f.error ? ` (${f.error})` : ''}`);
  if (report.findingsTruncated) lines.push(`  … and more (the first ${report.findings.length} are listed)`);
  lines.push('', report.unresolved === 0 ? 'Everything found was repaired.' : `${report.unresolved} not repaired${report.repair === 'none' ? ': run with --repair to repair them' : ''}.`);
  return lines.join('\n');
}
