export {
  buildTrackRecord,
  deleteTrackRecord,
  getTrackRecord,
  newTrackRecordUri,
  putTrackRecord,
  RecordWriteError,
  RECORD_TIMEOUT_MS,
  TRACK_COLLECTION,
  type TrackRecord,
  type TrackRecordInput,
} from './track-record.js';
export { advertisedBlobLimit, audioBlobOf, uploadAudioBlob, type AudioBlobUpload, type AudioSource } from './audio-blob.js';
