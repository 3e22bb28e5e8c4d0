/**
 * Every kind of background job, by name, with its payload as plain data: the one module both the
 * code that enqueues (core) and the registry that runs them (the host) depend on. Importing nothing
 * keeps it a leaf, so the jobs area has no import cycle.
 */

/** Identifies the audio even after the row is gone, so a move that meets a deleted track still cleans up. */
export interface TrackMoveData {
  trackId: string;
  fileId: string;
  fileType: string;
}

/** An early-access release: the gate it ends is the one whose `publicAt` is this (a later change replaces the job). */
export interface TrackReleaseData extends TrackMoveData {
  publicAt: string;
}

/** What a deleted track left behind: its audio in either bucket and its ATProto record. */
export interface DeletedTrack {
  trackId: string;
  fileId: string;
  fileType: string;
  artistDid: string;
  recordUri: string | null;
}

/** `write` puts the record of a stored like; `delete` removes the record of a like that is gone. */
export type LikeRecordJobData =
  | { action: 'write'; did: string; trackId: string }
  | { action: 'delete'; did: string; recordUri: string };

export interface JobPayloads {
  /** Moves the audio to the bucket the gate requires and rewrites the record (also after a title change). */
  'track-move': TrackMoveData;
  /** At a gate's `publicAt`: clears the gate and starts the un-gating move (access already followed the clock). */
  'track-release': TrackReleaseData;
  /** Removes what a deleted track left behind when the inline cleanup did not finish. */
  'track-cleanup': DeletedTrack;
  /** Keeps a listener's `fm.plyr.like` record in step with the like row. */
  'like-record': LikeRecordJobData;
  /** Periodic: abandoned staged uploads, and tracks whose storage or record drifted from the row. */
  maintenance: Record<string, never>;
  /** Periodic: the drift check (rows, buckets, records), repairing what is safe without an operator. */
  reconcile: Record<string, never>;
}

export type JobName = keyof JobPayloads;

/**
 * Total tries before a job is given up; retries back off exponentially (e^n seconds: 3 s, 7 s,
 * 20 s, …). Ten tries span about three hours; after that the maintenance pass repairs any drift.
 */
export const JOB_ATTEMPTS: { readonly [N in JobName]: number } = {
  'track-move': 10,
  'track-release': 10,
  'track-cleanup': 10,
  'like-record': 8,
  maintenance: 1,
  reconcile: 1,
};

/** The job key of a track's move: re-enqueueing replaces the pending one, so toggles coalesce. */
export const trackSyncKey = (trackId: string) => `track-sync:${trackId}`;
/** The backstop of finalize's inline record write: a key of its own, so removing it never drops a move. */
export const trackRecordKey = (trackId: string) => `track-record:${trackId}`;
/** One scheduled release per track: a new `publicAt` replaces it, a gate without one removes it. */
export const trackReleaseKey = (trackId: string) => `track-release:${trackId}`;
export const trackCleanupKey = (trackId: string) => `track-cleanup:${trackId}`;
/** One key per like record: a delete replaces a pending write of the same record. */
export const likeRecordKey = (recordUri: string) => `like-record:${recordUri}`;
