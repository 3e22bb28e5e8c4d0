import { AtprotoSessionUnavailableError } from '../auth/index.js';
import type { Services } from '../services.js';
import { withTrackLock } from '../tracks/index.js';
import { repairs, type DriftKind, type RepairPolicy } from './findings.js';
import type { ReportBuilder } from './report.js';

export type ReconcileServices = Pick<Services, 'db' | 'storage' | 'auth' | 'config' | 'logger' | 'hot'> & Partial<Pick<Services, 'metrics'>>;

/** What every check of one run shares. */
export interface RunContext {
  services: ReconcileServices;
  policy: RepairPolicy;
  /** The run's clock: ages (a day for orphans, in-flight syncs) are measured from it. */
  now: Date;
  report: ReportBuilder;
}

/** A repair's error as one line for the report. */
function oneLine(err: unknown): string {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return message.split('\n')[0]!.slice(0, 200);
}

/**
 * Records a finding and, when the run's policy repairs its kind, repairs it. A failed repair is a
 * finding marked `failed` (a later run tries again), never a failed run. Returns whether it was repaired.
 */
export async function handle(ctx: RunContext, kind: DriftKind, subject: string, detail: string, repair: () => Promise<void>): Promise<boolean> {
  if (!repairs(ctx.policy, kind)) {
    ctx.report.add({ kind, subject, detail, action: 'reported' });
    return false;
  }
  try {
    await repair();
    ctx.report.add({ kind, subject, detail, action: 'repaired' });
    return true;
  } catch (err) {
    ctx.services.logger.warn({ err, kind, subject }, 'reconcile: repair failed; the next run tries again');
    ctx.report.add({ kind, subject, detail, action: 'failed', error: oneLine(err) });
    return false;
  }
}

/** PostgreSQL's lock_not_available: the track lock's wait ran out. */
const LOCK_NOT_AVAILABLE = '55P03';

function hasCode(err: unknown, code: string): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === code) return true;
  }
  return false;
}

/**
 * Checks one subject under its advisory lock (a track's own, or one named for an object or an
 * account), so runs on several workers, moves and deletes never act on it at once. A lock held too
 * long, an account without a session or an unexpected error skips the subject for this run.
 */
export async function checkUnderLock(ctx: RunContext, lockKey: string, check: () => Promise<void>): Promise<void> {
  try {
    await withTrackLock(ctx.services.db, lockKey, check);
  } catch (err) {
    if (hasCode(err, LOCK_NOT_AVAILABLE)) {
      ctx.report.skipped.busy++;
    } else if (err instanceof AtprotoSessionUnavailableError) {
      ctx.report.skipped.withoutSession++;
    } else {
      ctx.report.skipped.errors++;
      ctx.services.logger.warn({ err, subject: lockKey }, 'reconcile: check failed; the next run tries again');
    }
  }
}
