export {
  InvalidCursorError,
  NotAudioError,
  NotTrackOwnerError,
  TrackError,
  TrackNotFoundError,
  UploadNotFoundError,
  UploadNotReceivedError,
  UploadTooLargeError,
  type TrackErrorCode,
} from './errors.js';
export {
  findTrack,
  findTrackByFileId,
  listTracks,
  MAX_PAGE_SIZE,
  selectTrackRows,
  trackRowColumns,
  type ListedTrack,
  type TrackPage,
  type TrackRow,
} from './queries.js';
export { apiAudioUrl, bucketForGate, otherBucket, playableAudioUrl, recordAudioUrl } from './placement.js';
export { createUpload, finalizeUpload, UPLOAD_URL_TTL_SECONDS, type CreateUploadInput, type FinalizeUploadInput, type UploadTicket } from './uploads.js';
export { cleanupDeletedTrack, deleteTrack, updateTrack, type UpdateTrackInput } from './writes.js';
export type { DeletedTrack, TrackMoveData } from '../jobs/payloads.js';
export { CopyVerificationError, syncTrack, syncTrackUnderLock, type MoveHooks } from './move.js';
export { writeTrackRecord } from './record-sync.js';
export { cancelRelease, releaseTrack, scheduleRelease } from './release.js';
export { withTrackLock } from './track-lock.js';
export {
  ABANDONED_UPLOAD_AGE_MS,
  MAINTENANCE_INTERVAL_MINUTES,
  resumeStalledTrackSyncs,
  runMaintenance,
  STALLED_SYNC_AGE_MS,
  sweepAbandonedUploads,
} from './maintenance.js';
