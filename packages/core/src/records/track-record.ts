import { AtUri, XRPCError, type Agent, type BlobRef } from '@atproto/api';
import { TID } from '@atproto/common-web';
import type { SupportGate } from '../gate.js';

/** The collection of a plyr track in its artist's repository. */
export const TRACK_COLLECTION = 'fm.plyr.track';
/** Budget for one write to the artist's PDS. */
export const RECORD_TIMEOUT_MS = 10_000;

export interface TrackRecord {
  $type: typeof TRACK_COLLECTION;
  title: string;
  /** The artist's handle. */
  artist: string;
  audioUrl: string;
  fileType: string;
  createdAt: string;
  /** Present only on gated tracks. */
  supportGate?: NonNullable<SupportGate>;
  /** The audio itself in the artist's repository (plyr.fm's lexicon): public tracks only, when the PDS took it. */
  audioBlob?: BlobRef;
}

export interface TrackRecordInput {
  title: string;
  artistHandle: string;
  audioUrl: string;
  fileType: string;
  createdAt: Date;
  supportGate: SupportGate;
  audioBlob: BlobRef | null;
}

/** The PDS refused or did not answer; the caller retries (a job step) rather than giving up. */
export class RecordWriteError extends Error {
  override readonly name = 'RecordWriteError';
}

export function buildTrackRecord(input: TrackRecordInput): TrackRecord {
  return {
    $type: TRACK_COLLECTION,
    title: input.title,
    artist: input.artistHandle,
    audioUrl: input.audioUrl,
    fileType: input.fileType,
    createdAt: input.createdAt.toISOString(),
    // With publicAt, so that every ATProto client can tell when an early-access track opens.
    ...(input.supportGate ? { supportGate: { type: input.supportGate.type, ...(input.supportGate.publicAt ? { publicAt: input.supportGate.publicAt } : {}) } } : {}),
    // A gated record never references the blob: the PDS serves any referenced blob to anyone.
    ...(input.audioBlob && !input.supportGate ? { audioBlob: input.audioBlob } : {}),
  };
}

/** A fresh record key (a TID, as ATProto collections conventionally use) and the record's URI. */
export function newTrackRecordUri(did: string): string {
  return AtUri.make(did, TRACK_COLLECTION, TID.nextStr()).toString();
}

/** Creates or replaces the record at `uri` (same rkey every time, so a retried write is harmless). */
export async function putTrackRecord(agent: Agent, uri: string, record: TrackRecord): Promise<{ uri: string; cid: string }> {
  const at = new AtUri(uri);
  try {
    const { data } = await agent.com.atproto.repo.putRecord(
      { repo: at.host, collection: TRACK_COLLECTION, rkey: at.rkey, record: { ...record } },
      { signal: AbortSignal.timeout(RECORD_TIMEOUT_MS) },
    );
    return { uri: data.uri, cid: data.cid };
  } catch (cause) {
    throw new RecordWriteError(`could not write ${uri}`, { cause });
  }
}

/** The record's current value; null when there is none. */
export async function getTrackRecord(agent: Agent, uri: string): Promise<Record<string, unknown> | null> {
  const at = new AtUri(uri);
  try {
    const { data } = await agent.com.atproto.repo.getRecord(
      { repo: at.host, collection: TRACK_COLLECTION, rkey: at.rkey },
      { signal: AbortSignal.timeout(RECORD_TIMEOUT_MS) },
    );
    return data.value as Record<string, unknown>;
  } catch (cause) {
    if (cause instanceof XRPCError && cause.error === 'RecordNotFound') return null;
    throw new RecordWriteError(`could not read ${uri}`, { cause });
  }
}

/** Deleting a record that is already gone succeeds. */
export async function deleteTrackRecord(agent: Agent, uri: string): Promise<void> {
  const at = new AtUri(uri);
  try {
    await agent.com.atproto.repo.deleteRecord(
      { repo: at.host, collection: TRACK_COLLECTION, rkey: at.rkey },
      { signal: AbortSignal.timeout(RECORD_TIMEOUT_MS) },
    );
  } catch (cause) {
    throw new RecordWriteError(`could not delete ${uri}`, { cause });
  }
}
