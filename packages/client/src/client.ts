import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import { createConnection, type PlyrClientOptions } from './connection.js';
import { downloadLikedTracks, type DownloadLikedOptions, type DownloadSummary } from './downloads.js';
import { preflightAudio, type AudioAccess, type PreflightTarget } from './gating.js';
import type { PlyrRouter, RouterOutputs } from './router.js';
import { uploadTrack, type FileFacts, type TrackDetails, type UploadOptions } from './upload.js';
import type { ByteSource } from './streams.js';

/** Most calls the API accepts in one HTTP batch (the server's `MAX_BATCH_SIZE`; a type test ties the two). */
export const MAX_BATCH_ITEMS = 20;

/** Batched GET URLs carry their inputs; past this length the batch is split rather than refused by a proxy. */
const MAX_URL_LENGTH = 8_000;

/** A track as every procedure returns it, with `gated` resolved for the viewer who asked. */
export type Track = RouterOutputs['tracks']['byId'];

export interface PlyrClientExtras {
  readonly baseUrl: string;
  /** `token` when created with a developer token, else `browser` (session cookie). */
  readonly mode: 'browser' | 'token';
  /**
   * `HEAD /audio/{fileId}`: may this viewer play the file now, and if not, why. Given a track (e.g.
   * from a cached list) whose `publicAt` has passed at `now`, `ok` without a request.
   */
  preflightAudio(target: PreflightTarget, options?: { signal?: AbortSignal; now?: Date }): Promise<AudioAccess>;
  /**
   * Uploads an audio file and creates the track: `tracks.createUpload`, a PUT of the bytes straight
   * to storage (`onProgress` reports bytes sent), then `tracks.finalizeUpload`.
   */
  uploadTrack(file: Blob, details: TrackDetails & Partial<FileFacts>, options?: UploadOptions): Promise<Track>;
  uploadTrack(stream: ByteSource, details: TrackDetails & FileFacts, options?: UploadOptions): Promise<Track>;
  /** Every liked track through `onTrack`: downloaded (its audio to read), or skipped and why. */
  downloadLikedTracks(options: DownloadLikedOptions<Track>): Promise<DownloadSummary>;
}

/** The typed procedures (`client.tracks.list.query()`, …) and the SDK's helpers. */
export type PlyrClient = TRPCClient<PlyrRouter> & PlyrClientExtras;

/**
 * A client for the plyr API. Browser mode (no `token`) sends the session cookie
 * (`credentials: 'include'`); token mode sends `Authorization: Bearer <token>` and no cookie.
 */
export function createPlyrClient(options: PlyrClientOptions): PlyrClient {
  const connection = createConnection(options);
  const procedures = createTRPCClient<PlyrRouter>({
    links: [
      httpBatchLink({
        url: `${connection.baseUrl}/trpc`,
        maxItems: MAX_BATCH_ITEMS,
        maxURLLength: MAX_URL_LENGTH,
        headers: connection.headers,
        fetch: connection.trpcFetch,
      }),
    ],
  });
  const extras: PlyrClientExtras = {
    baseUrl: connection.baseUrl,
    mode: connection.mode,
    preflightAudio: (target, { signal, now } = {}) => preflightAudio(connection, target, signal, now),
    uploadTrack: (source: Blob | ByteSource, details: TrackDetails & Partial<FileFacts>, uploadOptions?: UploadOptions) =>
      uploadTrack(procedures.tracks, connection, source, details, uploadOptions),
    downloadLikedTracks: (downloadOptions) => downloadLikedTracks(procedures.downloads, connection, downloadOptions),
  };
  // The procedures are a proxy that answers any name, so the helpers are looked up first.
  return new Proxy(extras, {
    get: (target, key) => (key in target ? Reflect.get(target, key) : Reflect.get(procedures, key)),
  }) as PlyrClient;
}
