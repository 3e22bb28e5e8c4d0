export { likeTrack, listLikedTracks, unlikeTrack } from './likes.js';
export {
  LIKE_COLLECTION,
  LIKE_RECORD_JOB,
  likeRecordJob,
  PDS_WRITE_TIMEOUT_MS,
  TrackRecordPendingError,
  type LikeRecordJobData,
} from './record-job.js';
