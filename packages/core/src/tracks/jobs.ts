import { defineJob } from '../jobs/types.js';
import { syncTrack, type TrackMoveData } from './move.js';
import { cleanupDeletedTrack, type DeletedTrack } from './writes.js';

/** Roughly 17 minutes of retries (1 s, 2 s, … 256 s); maintenance resumes it after that. */
const TRACK_JOB_ATTEMPTS = 10;

/** Moves the audio to the bucket the gate requires and rewrites the record (also after a title change). */
export const trackMoveJob = defineJob<TrackMoveData>({
  attempts: TRACK_JOB_ATTEMPTS,
  process: (data, { services }) => syncTrack(services, data),
});

/** Removes what a deleted track left behind when the inline cleanup failed. */
export const trackCleanupJob = defineJob<DeletedTrack>({
  attempts: TRACK_JOB_ATTEMPTS,
  process: (data, { services }) => cleanupDeletedTrack(services, data),
});
