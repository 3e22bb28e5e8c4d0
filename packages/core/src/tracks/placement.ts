import type { StorageBucket } from '@plyr/db';
import type { SupportGate } from '../gate.js';
import type { Storage } from '../storage/index.js';

/** Where a track's audio belongs: gated audio is never in the public (CDN) bucket. */
export function bucketForGate(gate: SupportGate): StorageBucket {
  return gate ? 'private' : 'public';
}

export function otherBucket(bucket: StorageBucket): StorageBucket {
  return bucket === 'public' ? 'private' : 'public';
}

interface AudioLocation {
  fileId: string;
  fileType: string;
  supportGate: SupportGate;
  bucket: StorageBucket;
}

/** `{PUBLIC_URL}/audio/{fileId}`: the API route that checks access and redirects. */
export function apiAudioUrl(publicUrl: string, fileId: string): string {
  return `${publicUrl}/audio/${fileId}`;
}

/** What the ATProto record says once storage has settled: the CDN for public tracks, the API for gated ones. */
export function recordAudioUrl(publicUrl: string, storage: Storage, track: Omit<AudioLocation, 'bucket'>): string {
  return track.supportGate ? apiAudioUrl(publicUrl, track.fileId) : storage.cdnUrl(track.fileId, track.fileType);
}

/** The CDN serves a track only when it is public and its object is already in the public bucket. */
export function servedFromCdn(track: Pick<AudioLocation, 'supportGate' | 'bucket'>): boolean {
  return !track.supportGate && track.bucket === 'public';
}

/** What plays right now: the CDN only when the object is already there, else the API (which presigns). */
export function playableAudioUrl(publicUrl: string, storage: Storage, track: AudioLocation): string {
  return servedFromCdn(track) ? storage.cdnUrl(track.fileId, track.fileType) : apiAudioUrl(publicUrl, track.fileId);
}
