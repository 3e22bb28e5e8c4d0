import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { syncTrack, type MoveHooks } from '@plyr/core/tracks';
import { startJobWorker } from '@plyr/server';
import { whenJobsIdle } from '@plyr/testing';
import { type TestApp } from '../support/index.js';
import type { TrackOutput } from '@plyr/api';

/** Fixtures shared by the track and /audio tests: a tRPC caller, audio bytes, a full upload. */

export interface Caller {
  headers: Record<string, string>;
}

export const anonymous: Caller = { headers: {} };

export interface TrpcAnswer<T> {
  status: number;
  data?: T;
  error?: { message: string; data: { code: string; httpStatus: number; zodError?: unknown } };
}

export async function query<T = any>(app: Pick<TestApp, 'url'>, who: Caller, path: string, input?: unknown): Promise<TrpcAnswer<T>> {
  const qs = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await fetch(`${app.url}/trpc/${path}${qs}`, { headers: who.headers, signal: AbortSignal.timeout(20_000) });
  return answer<T>(res);
}

export async function mutate<T = any>(app: Pick<TestApp, 'url'>, who: Caller, path: string, input: unknown): Promise<TrpcAnswer<T>> {
  const res = await fetch(`${app.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...who.headers },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(20_000),
  });
  return answer<T>(res);
}

async function answer<T>(res: Response): Promise<TrpcAnswer<T>> {
  const body = (await res.json()) as { result?: { data: T }; error?: TrpcAnswer<T>['error'] };
  return { status: res.status, data: body.result?.data, error: body.error };
}

/** The value of a successful call; fails the test with the error otherwise. */
export function ok<T>(a: TrpcAnswer<T>): T {
  expect(a.error, JSON.stringify(a.error)).toBeUndefined();
  return a.data as T;
}

/** MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz) followed by noise: what the sniffer accepts as MP3. */
export function mp3Bytes(size = 4096): Buffer {
  const bytes = randomBytes(size);
  bytes.set([0xff, 0xfb, 0x90, 0x64], 0);
  return bytes;
}

/** What the API returns for a track (its own type, so the tests follow it). */
export type Track = TrackOutput;

/** createUpload → PUT to the presigned URL → finalizeUpload, as a client does. */
export async function uploadTrack(
  app: Pick<TestApp, 'url'>,
  artist: Caller,
  opts: { title?: string; supportGate?: Track['supportGate']; bytes?: Buffer } = {},
): Promise<Track> {
  const bytes = opts.bytes ?? mp3Bytes();
  const ticket = ok(
    await mutate<{ uploadId: string; url: string; headers: Record<string, string> }>(app, artist, 'tracks.createUpload', {
      filename: 'song.mp3',
      contentType: 'audio/mpeg',
      size: bytes.length,
    }),
  );
  const put = await fetch(ticket.url, { method: 'PUT', headers: ticket.headers, body: new Uint8Array(bytes) });
  expect(put.status).toBe(200);
  return ok(
    await mutate<Track>(app, artist, 'tracks.finalizeUpload', {
      uploadId: ticket.uploadId,
      title: opts.title ?? 'A song',
      supportGate: opts.supportGate ?? null,
    }),
  );
}

/** Reads an `fm.plyr.track` record back from the artist's PDS (`com.atproto.repo.getRecord`, no credentials); null when absent. */
export async function readTrackRecord(pdsUrl: string, did: string, rkey: string): Promise<Record<string, unknown> | null> {
  const params = new URLSearchParams({ repo: did, collection: 'fm.plyr.track', rkey });
  const res = await fetch(`${pdsUrl}/xrpc/com.atproto.repo.getRecord?${params}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { value?: Record<string, unknown>; error?: string };
  if (res.status === 400 && body.error === 'RecordNotFound') return null;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.value!;
}

/** The record key the API stored for a track (the output does not expose it). */
export async function recordKeyOf(app: TestApp, trackId: string): Promise<string> {
  const row = await app.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, trackId) });
  return row!.recordUri!.split('/').pop()!;
}

export interface TestWorker {
  /** Resolves once the queue holds nothing pending (see whenJobsIdle). */
  whenIdle(opts?: { timeoutMs?: number }): Promise<void>;
  close(): Promise<void>;
}

/**
 * A separate job worker on the app's database (start the app with `runWorker: false`), whose move
 * runs the real steps with `hooks` in between: tests pause or fail a move at a chosen step.
 */
export async function startMoveWorker(app: TestApp, hooks: MoveHooks = {}): Promise<TestWorker> {
  const runner = await startJobWorker({
    databaseUrl: app.ctx.env.databaseUrl!,
    deps: app.services,
    processors: { 'track-move': (data) => syncTrack(app.services, data, hooks) },
  });
  return { whenIdle: (opts) => whenJobsIdle(app.services.db, opts), close: () => runner.close() };
}

/** Where the object of a track is: which buckets hold `audio/{fileId}.{ext}`. */
export async function bucketsHolding(app: TestApp, track: Pick<Track, 'fileId' | 'fileType'>): Promise<string[]> {
  const key = app.services.storage.audioKey(track.fileId, track.fileType);
  const found: string[] = [];
  for (const bucket of ['public', 'private'] as const) {
    if (await app.services.storage.head(bucket, key)) found.push(bucket);
  }
  return found;
}

/** A deferred: a hook awaits `promise` until the test calls `resolve`. */
export function gate(): { promise: Promise<void>; resolve: () => void; reached: Promise<void>; arrive: () => void } {
  let resolve!: () => void;
  let arrive!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const reached = new Promise<void>((r) => (arrive = r));
  return { promise, resolve, reached, arrive };
}
