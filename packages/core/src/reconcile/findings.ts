/** Every way the rows, the two buckets and the ATProto records can disagree, and what repairs each. */
export const DRIFT_KINDS = {
  audio_in_other_bucket: 'the audio is missing from the bucket the row names but is in the other: the row follows it and the move settles it',
  audio_missing: 'the audio is in neither bucket: the track is marked unavailable (`audio_missing`)',
  audio_found_again: 'a track marked unavailable has its audio again: the mark is cleared',
  gated_audio_public: 'a gated track has a copy in the public (CDN) bucket: the copy is deleted at once (after moving it, when it is the only one)',
  stray_copy: 'a public track has a second copy in the private bucket: the copy is deleted',
  orphan_object: 'an audio object no track points at, older than a day: deleted',
  orphan_upload: 'a staged upload object with no pending upload, older than a day: deleted',
  record_missing: "the artist's fm.plyr.track record is missing: rewritten from the row",
  record_mismatch: "the record's audioUrl, supportGate, createdAt, title or audio blob disagree with the row: rewritten",
  like_record_missing: "a like whose fm.plyr.like record is not on the listener's PDS: written",
  like_record_orphan: 'an fm.plyr.like record whose like is gone: deleted',
} as const;

export type DriftKind = keyof typeof DRIFT_KINDS;

/**
 * What the scheduled run repairs without an operator: everything but deleting audio no track points
 * at. Those bytes exist nowhere else, and after a database restored from a backup every newer track
 * would look like that; the run reports them and `pnpm reconcile --repair` deletes them.
 */
export const REPAIRED_ON_SCHEDULE: ReadonlySet<DriftKind> = new Set(
  (Object.keys(DRIFT_KINDS) as DriftKind[]).filter((kind) => kind !== 'orphan_object'),
);

/** `none`: report only; `scheduled`: what REPAIRED_ON_SCHEDULE allows; `all`: every kind. */
export type RepairPolicy = 'none' | 'scheduled' | 'all';

export function repairs(policy: RepairPolicy, kind: DriftKind): boolean {
  return policy === 'all' || (policy === 'scheduled' && REPAIRED_ON_SCHEDULE.has(kind));
}

export type FindingAction = 'repaired' | 'reported' | 'failed';

export interface Finding {
  kind: DriftKind;
  /** A track id, `bucket/key` of an object, or the at:// URI of a like record. */
  subject: string;
  detail: string;
  action: FindingAction;
  /** Why the repair failed (one line). */
  error?: string;
}
