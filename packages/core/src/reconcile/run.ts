import { reconcileLikes } from './likes.js';
import { reconcileObjects } from './objects.js';
import type { DriftKind, FindingAction, RepairPolicy } from './findings.js';
import { ReportBuilder, reportSummary, type ReconcileReport } from './report.js';
import type { ReconcileServices, RunContext } from './run-context.js';
import { reconcileTracks } from './tracks.js';

/** Rows (tracks, accounts) per database page and keys per bucket listing. */
export const RECONCILE_PAGE_SIZE = 100;

export interface ReconcileOptions {
  repair: RepairPolicy;
  /** The run's clock (tests move it a day on to age objects). */
  now?: Date;
  pageSize?: number;
}

/**
 * One full check of tracks, bucket objects and like records against the database, repairing what
 * the policy allows. Safe to run on several workers at once (every subject is checked under its
 * lock, and re-read there) and idempotent: a second run finds nothing the first repaired. Logs one
 * summary line and counts the run in the metrics.
 */
export async function runReconcile(services: ReconcileServices, options: ReconcileOptions): Promise<ReconcileReport> {
  const builder = new ReportBuilder(options.repair);
  const ctx: RunContext = { services, policy: options.repair, now: options.now ?? new Date(), report: builder };
  const pageSize = options.pageSize ?? RECONCILE_PAGE_SIZE;
  const { logger } = services;
  try {
    await reconcileTracks(ctx, pageSize);
    await reconcileObjects(ctx, pageSize);
    await reconcileLikes(ctx, pageSize);
  } catch (err) {
    // The database or the storage is out: the run stops, and what it did so far is counted.
    record(services, builder.build(), 'failed');
    logger.error({ err, reconcile: reportSummary(builder.build()) }, 'reconcile: run failed');
    throw err;
  }
  const report = builder.build();
  record(services, report, runResult(report));
  logger.info({ reconcile: reportSummary(report) }, `reconcile: ${describe(report)}`);
  return report;
}

function runResult(report: ReconcileReport): 'clean' | 'repaired' | 'drift' {
  if (Object.keys(report.counts).length === 0) return 'clean';
  return report.unresolved === 0 ? 'repaired' : 'drift';
}

function record(services: ReconcileServices, report: ReconcileReport, result: 'clean' | 'repaired' | 'drift' | 'failed'): void {
  const { metrics } = services;
  if (!metrics) return;
  for (const [kind, counts] of Object.entries(report.counts) as Array<[DriftKind, Record<FindingAction, number>]>) {
    for (const [action, n] of Object.entries(counts) as Array<[FindingAction, number]>) {
      if (n > 0) metrics.reconcilerFindings.inc({ kind, action }, n);
    }
  }
  metrics.reconcilerRuns.inc({ result });
  metrics.reconcilerLastRunSeconds.set(report.durationMs / 1000);
  metrics.reconcilerLastRunTimestamp.set(Date.now() / 1000);
}

function describe(report: ReconcileReport): string {
  const found = Object.values(report.counts).reduce((n, c) => n + c.repaired + c.reported + c.failed, 0);
  if (found === 0) return `no drift in ${report.checked.tracks} tracks and ${report.checked.objects} objects`;
  return `${found} drift findings, ${found - report.unresolved} repaired, ${report.unresolved} left`;
}
