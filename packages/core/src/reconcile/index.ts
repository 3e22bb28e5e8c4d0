export { DRIFT_KINDS, REPAIRED_ON_SCHEDULE, repairs, type DriftKind, type Finding, type FindingAction, type RepairPolicy } from './findings.js';
export { formatReport, MAX_LISTED_FINDINGS, reportSummary, type ReconcileReport } from './report.js';
export { RECONCILE_PAGE_SIZE, runReconcile, type ReconcileOptions } from './run.js';
export { ORPHAN_OBJECT_AGE_MS } from './objects.js';
export type { ReconcileServices } from './run-context.js';
