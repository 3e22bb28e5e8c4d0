export { likeTrack, listLikedTracks, unlikeTrack } from './likes.js';
export { LIKE_COLLECTION, PDS_WRITE_TIMEOUT_MS, syncLikeRecord, TrackRecordPendingError } from './record-job.js';
export type { LikeRecordJobData } from '../jobs/payloads.js';
