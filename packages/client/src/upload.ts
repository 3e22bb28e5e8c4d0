import { stallGuard, type Connection } from './connection.js';
import { PlyrTransferError } from './errors.js';
import type { RouterOutputs } from './router.js';
import { countingStream, type ByteSource } from './streams.js';

/** A `File`/`Blob` (browser, or Node's `fs.openAsBlob`), or a stream of the file's bytes. */
export type UploadSource = Blob | ByteSource;

/** `null` is public; `{ type: 'any' }` is for supporters of the artist on atprotofans. The API's own type. */
export type SupportGate = RouterOutputs['tracks']['byId']['supportGate'];

export interface TrackDetails {
  title: string;
  supportGate?: SupportGate;
}

/** What storage must be told about the file before the first byte is sent. */
export interface FileFacts {
  filename: string;
  /** e.g. `audio/mpeg`; guessed from the filename's extension when a `File` has no type. */
  contentType: string;
  /** Exact byte count: the upload URL is signed for it. */
  size: number;
}

export interface UploadProgress {
  /** Bytes sent so far. */
  loaded: number;
  total: number;
}

export interface UploadOptions {
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

/** The part of the API an upload uses: `tracks.createUpload` and `tracks.finalizeUpload`. */
export interface UploadProcedures<TTrack> {
  createUpload: {
    mutate(
      input: { filename: string; contentType: string; size: number },
      opts?: { signal?: AbortSignal },
    ): Promise<{ uploadId: string; url: string; method: string; headers: Record<string, string> }>;
  };
  finalizeUpload: {
    mutate(input: { uploadId: string; title: string; supportGate?: SupportGate }, opts?: { signal?: AbortSignal }): Promise<TTrack>;
  };
}

/** createUpload → PUT the bytes to the presigned URL (progress as bytes sent) → finalizeUpload. */
export async function uploadTrack<TTrack>(
  procedures: UploadProcedures<TTrack>,
  connection: Connection,
  source: UploadSource,
  details: TrackDetails & Partial<FileFacts>,
  options: UploadOptions = {},
): Promise<TTrack> {
  const facts = fileFacts(source, details);
  const { signal, onProgress } = options;
  const ticket = await procedures.createUpload.mutate(facts, { signal });
  const put = typeof XMLHttpRequest === 'function' ? putWithXhr : putWithFetch;
  await put(connection, { ...ticket, size: facts.size }, source, { onProgress, signal });
  return procedures.finalizeUpload.mutate(
    { uploadId: ticket.uploadId, title: details.title, supportGate: details.supportGate ?? null },
    { signal },
  );
}

const AUDIO_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  flac: 'audio/flac',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  opus: 'audio/opus',
};

function fileFacts(source: UploadSource, details: Partial<FileFacts>): FileFacts {
  const isBlob = source instanceof Blob;
  const filename = details.filename ?? (isBlob && 'name' in source && typeof source.name === 'string' ? source.name : undefined);
  if (!filename) throw new TypeError('uploadTrack: filename is required unless the source is a File with a name');
  const extension = filename.slice(filename.lastIndexOf('.') + 1).toLowerCase();
  const contentType = details.contentType || (isBlob ? source.type : '') || AUDIO_TYPES[extension];
  if (!contentType) throw new TypeError(`uploadTrack: contentType is required (cannot tell it from "${filename}")`);
  const size = details.size ?? (isBlob ? source.size : undefined);
  if (size === undefined || !Number.isSafeInteger(size) || size <= 0) {
    throw new TypeError('uploadTrack: size (a positive byte count) is required for a stream source');
  }
  return { filename, contentType, size };
}

interface Ticket {
  url: string;
  method: string;
  headers: Record<string, string>;
  size: number;
}

type Put = (connection: Connection, ticket: Ticket, source: UploadSource, options: UploadOptions) => Promise<void>;

/** Node (and other fetch-only runtimes): the body streams through a counter, with the signed length. */
const putWithFetch: Put = async (connection, ticket, source, { onProgress, signal }) => {
  const guard = stallGuard(connection.timeoutMs, signal);
  let loaded = 0;
  const body = countingStream(source instanceof Blob ? source.stream() : source, (bytes) => {
    loaded += bytes;
    guard.touch();
    onProgress?.({ loaded, total: ticket.size });
  });
  try {
    const init = {
      method: ticket.method,
      headers: { ...ticket.headers, 'content-length': String(ticket.size) },
      body,
      duplex: 'half',
      signal: guard.signal,
    };
    const response = await connection.storage(ticket.url, init as RequestInit);
    await response.body?.cancel();
    if (!response.ok) throw new PlyrTransferError('upload', response.status, `storage refused the upload (HTTP ${response.status})`);
  } catch (err) {
    if (err instanceof PlyrTransferError || signal?.aborted) throw err;
    throw new PlyrTransferError('upload', null, `upload failed: ${describe(err)}`, { cause: err });
  } finally {
    guard.stop();
  }
};

/** Browsers: only XMLHttpRequest reports upload progress (fetch has no upload events). */
const putWithXhr: Put = async (connection, ticket, source, { onProgress, signal }) => {
  const blob = source instanceof Blob ? source : await new Response(countingStream(source, () => undefined)).blob();
  signal?.throwIfAborted();
  const guard = stallGuard(connection.timeoutMs, signal);
  try {
    await new Promise<void>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(ticket.method, ticket.url);
      // The browser sets Content-Length from the body itself and refuses to have it set.
      for (const [name, value] of Object.entries(ticket.headers)) {
        if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value);
      }
      xhr.upload.onprogress = (event) => {
        guard.touch();
        onProgress?.({ loaded: event.loaded, total: ticket.size });
      };
      xhr.onload = () =>
        xhr.status >= 200 && xhr.status < 300
          ? resolve()
          : reject(new PlyrTransferError('upload', xhr.status, `storage refused the upload (HTTP ${xhr.status})`));
      xhr.onerror = () => reject(new PlyrTransferError('upload', null, 'upload failed: network error'));
      xhr.onabort = () =>
        reject(signal?.aborted ? signal.reason : new PlyrTransferError('upload', null, `upload failed: ${describe(guard.signal.reason)}`));
      guard.signal.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(blob);
    });
  } finally {
    guard.stop();
  }
};

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
