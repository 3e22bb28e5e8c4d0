import { BlobRef, XRPCError, type Agent } from '@atproto/api';
import { RECORD_TIMEOUT_MS, RecordWriteError } from './track-record.js';

/** The uploaded audio, or why the artist's PDS would not take it (its size limit). */
export type AudioBlobUpload =
  | { stored: true; blob: BlobRef }
  | { stored: false; size: number; /** The PDS's advertised limit in bytes; null when it advertises none. */ limit: number | null };

export interface AudioSource {
  size: number;
  contentType: string;
  /** Opens the bytes as a stream; `signal` ends the download when the upload ends early. */
  open(signal: AbortSignal): Promise<ReadableStream<Uint8Array>>;
}

/** Budget for one blob upload: a floor, plus a second per MB (the PDS must take at least 1 MB/s). */
function blobUploadTimeoutMs(size: number): number {
  return 30_000 + Math.ceil(size / 1_000_000) * 1_000;
}

/**
 * `com.atproto.repo.uploadBlob`, streamed from `source`. A PDS that advertises a smaller
 * `blobUploadLimit` is not sent the bytes at all; one that refuses them while they flow (413) is
 * a refusal too. Anything else is a RecordWriteError, retried like a record write.
 */
export async function uploadAudioBlob(agent: Agent, source: AudioSource): Promise<AudioBlobUpload> {
  // Also refreshes the token and DPoP nonce, so the streamed body (which cannot be replayed) goes out with fresh ones.
  const limit = await advertisedBlobLimit(agent);
  if (limit !== null && source.size > limit) return { stored: false, size: source.size, limit };
  const download = new AbortController();
  const signal = AbortSignal.any([download.signal, AbortSignal.timeout(blobUploadTimeoutMs(source.size))]);
  try {
    const body = await source.open(signal);
    // @atproto/xrpc sends a ReadableStream as a streamed fetch body (duplex: 'half'); its types list only buffered inputs.
    const input = body as unknown as Blob;
    const { data } = await agent.com.atproto.repo.uploadBlob(input, { encoding: source.contentType, signal });
    return { stored: true, blob: data.blob };
  } catch (cause) {
    if (cause instanceof XRPCError && cause.status === 413) return { stored: false, size: source.size, limit };
    throw new RecordWriteError(`could not upload the audio blob to ${agent.did ?? 'the PDS'}`, { cause });
  } finally {
    download.abort();
  }
}

/** The PDS's `blobUploadLimit` in bytes; null when it advertises none or cannot say. */
export async function advertisedBlobLimit(agent: Agent): Promise<number | null> {
  try {
    const { data } = await agent.com.atproto.server.describeServer(undefined, { signal: AbortSignal.timeout(RECORD_TIMEOUT_MS) });
    return typeof data.blobUploadLimit === 'number' ? data.blobUploadLimit : null;
  } catch {
    // The limit is advisory: a PDS that cannot describe itself is simply sent the bytes (its 413 still counts).
    return null;
  }
}

/** The record's `audioBlob` when it is one of `size` bytes (this track's audio), else null. */
export function audioBlobOf(record: Record<string, unknown> | null, size: number): BlobRef | null {
  const value = record?.audioBlob;
  // The agent decodes records into BlobRef instances; a plain JSON ref is accepted as well.
  const blob = value instanceof BlobRef ? value : BlobRef.asBlobRef(value);
  return blob && blob.size === size ? blob : null;
}
