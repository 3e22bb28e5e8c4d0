import { stallGuard, type Connection } from './connection.js';
import { PlyrTransferError } from './errors.js';
import { countingStream } from './streams.js';

/** A presigned GET for one track's audio, answered with `Content-Disposition: attachment`. */
export interface TrackDownload {
  url: string;
  filename: string;
  expiresAt: string;
}

/** Why a liked track was not downloaded: `gated` (not a supporter) or `unavailable` (check failed; try later). */
export type SkipReason = 'gated' | 'unavailable';

/** One liked track, as `downloadLikedTracks` reports it. */
export type LikedTrackResult<TTrack> =
  | {
      status: 'downloaded';
      track: TTrack;
      filename: string;
      /** The audio; read its body (`.blob()`, `.body`) inside `onTrack`, it is discarded afterwards. */
      response: Response;
    }
  | { status: 'skipped'; track: TTrack; reason: SkipReason }
  | { status: 'failed'; track: TTrack; error: PlyrTransferError };

export interface DownloadProgress<TTrack> {
  track: TTrack;
  /** Bytes of this track received so far. */
  loaded: number;
  /** Its size when the storage says it, else null. */
  total: number | null;
  /** Liked tracks handled so far (downloaded, skipped or failed), and how many there are. */
  completed: number;
  count: number;
}

export interface DownloadLikedOptions<TTrack> {
  /** Called once per liked track, in order; the next download starts when it resolves. */
  onTrack: (result: LikedTrackResult<TTrack>) => void | Promise<void>;
  onProgress?: (progress: DownloadProgress<TTrack>) => void;
  /**
   * Resumes an earlier run: true for a file already saved. It is then not fetched and not passed to
   * `onTrack` (the caller already knows it), and counts as skipped in the summary.
   */
  alreadySaved?: (file: { track: TTrack; filename: string }) => boolean | Promise<boolean>;
  signal?: AbortSignal;
  /** The clock a URL's expiry is judged by, in ms since the epoch (default `Date.now`). */
  now?: () => number;
}

export interface DownloadSummary {
  downloaded: number;
  skipped: number;
  failed: number;
}

/** The part of the API this uses: `downloads.likedTracks` and, for a URL that expired meanwhile, `downloads.track`. */
export interface DownloadProcedures<TTrack extends { id: string }> {
  likedTracks: {
    query(
      input: undefined,
      opts?: { signal?: AbortSignal },
    ): Promise<{ items: Array<{ track: TTrack; download: TrackDownload | null; skipped: SkipReason | null }> }>;
  };
  track: { query(input: { id: string }, opts?: { signal?: AbortSignal }): Promise<TrackDownload> };
}

/** A URL this close to expiry is renewed before use: the GET must start while it is still valid. */
const RENEW_BEFORE_MS = 10_000;

export async function downloadLikedTracks<TTrack extends { id: string }>(
  procedures: DownloadProcedures<TTrack>,
  connection: Connection,
  { onTrack, onProgress, alreadySaved, signal, now = Date.now }: DownloadLikedOptions<TTrack>,
): Promise<DownloadSummary> {
  const { items } = await procedures.likedTracks.query(undefined, { signal });
  const summary: DownloadSummary = { downloaded: 0, skipped: 0, failed: 0 };
  let completed = 0;
  for (const { track, download, skipped } of items) {
    signal?.throwIfAborted();
    const transfer: Transfer = { loaded: 0, total: null };
    const report = () => onProgress?.({ track, ...transfer, completed, count: items.length });
    if (!download) {
      summary.skipped++;
      await onTrack({ status: 'skipped', track, reason: skipped ?? 'unavailable' });
    } else if (await alreadySaved?.({ track, filename: download.filename })) {
      summary.skipped++;
    } else {
      const expiring = Date.parse(download.expiresAt) - now() < RENEW_BEFORE_MS;
      const fresh = expiring ? await procedures.track.query({ id: track.id }, { signal }) : download;
      const fetched = await fetchAudio(connection, fresh, transfer, report, signal);
      if (fetched instanceof PlyrTransferError) {
        summary.failed++;
        await onTrack({ status: 'failed', track, error: fetched });
      } else {
        try {
          await onTrack({ status: 'downloaded', track, filename: fresh.filename, response: fetched.response });
          summary.downloaded++;
        } finally {
          fetched.discard();
        }
      }
    }
    completed++;
    report();
  }
  return summary;
}

/** Bytes of the current track received so far, and its size when the storage says it. */
type Transfer = Pick<DownloadProgress<unknown>, 'loaded' | 'total'>;

interface FetchedAudio {
  response: Response;
  /** Ends the transfer if `onTrack` did not read the whole body, so the connection is released. */
  discard(): void;
}

async function fetchAudio(
  connection: Connection,
  download: TrackDownload,
  transfer: Transfer,
  report: () => void,
  signal: AbortSignal | undefined,
): Promise<FetchedAudio | PlyrTransferError> {
  const guard = stallGuard(connection.timeoutMs, signal);
  let response: Response;
  try {
    response = await connection.storage(download.url, { method: 'GET', signal: guard.signal });
  } catch (err) {
    guard.stop();
    if (signal?.aborted) throw err;
    return new PlyrTransferError('download', null, `download failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!response.ok || !response.body) {
    guard.stop();
    await response.body?.cancel();
    return new PlyrTransferError('download', response.status, `storage refused the download (HTTP ${response.status})`);
  }
  const length = response.headers.get('content-length');
  transfer.total = length !== null && /^\d+$/.test(length) ? Number(length) : null;
  report();
  const body = countingStream(response.body, (bytes) => {
    transfer.loaded += bytes;
    guard.touch();
    report();
  });
  return { response: new Response(body, { status: response.status, headers: response.headers }), discard: guard.cancel };
}
