export {
  buildTrackRecord,
  deleteTrackRecord,
  newTrackRecordUri,
  putTrackRecord,
  RecordWriteError,
  RECORD_TIMEOUT_MS,
  TRACK_COLLECTION,
  type TrackRecord,
  type TrackRecordInput,
} from './track-record.js';
