export { BACKSTOP_DELAY_MS, backstopRunAt, runBeforeBackstop, type Backstop } from './backstop.js';
export { enqueueJob, removeJob, type EnqueueOptions, type JobExecutor } from './enqueue.js';
export { PermanentJobError } from './errors.js';
export {
  JOB_ATTEMPTS,
  likeRecordKey,
  trackCleanupKey,
  trackRecordKey,
  trackReleaseKey,
  trackSyncKey,
  type DeletedTrack,
  type JobName,
  type JobPayloads,
  type LikeRecordJobData,
  type TrackMoveData,
  type TrackReleaseData,
} from './payloads.js';
export {
  startJobRunner,
  WORKER_CONCURRENCY,
  type JobProcessor,
  type JobProcessors,
  type JobRunContext,
  type JobRunner,
  type JobRunnerOptions,
} from './runner.js';
