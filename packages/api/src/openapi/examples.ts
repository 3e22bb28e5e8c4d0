import type { AnyProcedure, inferProcedureInput, inferProcedureOutput } from '@trpc/server';
import type { AppRouter } from '../root.js';

/** One named request and its answer, typed by the procedure itself so an example cannot drift from its shape. */
export interface OperationExample<TInput, TOutput> {
  summary: string;
  input?: TInput;
  output: TOutput;
}

type ExamplesOf<TRecord> = {
  [K in keyof TRecord]?: TRecord[K] extends AnyProcedure
    ? Record<string, OperationExample<inferProcedureInput<TRecord[K]>, inferProcedureOutput<TRecord[K]>>>
    : ExamplesOf<TRecord[K]>;
};

const ARTIST = { did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', handle: 'artist.example.com' };
const TRACK_ID = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const FILE_ID = '9f86d081884c7d659a2feaa0c55ad015';
const UPLOAD_ID = '0b7e7dc2-4f1a-4c9e-9d43-2a6f0e4d1c88';
const TOKEN_ID = 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f';
const CREATED_AT = '2026-01-15T12:00:00.000Z';
const EXPIRES_AT = '2026-01-15T12:05:00.000Z';

/**
 * Examples for the REST document, keyed like the router. The upload, gate, play and un-gate steps
 * of a track's life are the README walkthrough, call by call.
 */
export function operationExamples(publicUrl: string): ExamplesOf<AppRouter['_def']['record']> {
  const cdnUrl = `https://cdn.example.com/audio/${FILE_ID}.mp3`;
  const track = {
    id: TRACK_ID,
    fileId: FILE_ID,
    title: 'My song',
    artist: ARTIST,
    fileType: 'mp3',
    audioUrl: cdnUrl,
    supportGate: null,
    gated: false,
    storage: 'ready' as const,
    createdAt: CREATED_AT,
  };
  const gatedTrack = { ...track, audioUrl: `${publicUrl}/audio/${FILE_ID}`, supportGate: { type: 'any' as const }, storage: 'moving' as const };
  const download = { url: `https://storage.example.com/plyr-audio/audio/${FILE_ID}.mp3?X-Amz-Signature=…`, filename: 'artist.example.com - My song.mp3', expiresAt: EXPIRES_AT };

  return {
    tracks: {
      list: { firstPage: { summary: 'The newest tracks', input: { limit: 20 }, output: { items: [track], nextCursor: null } } },
      byId: { public: { summary: 'A public track', input: { id: TRACK_ID }, output: track } },
      mine: { firstPage: { summary: "The artist's own tracks", input: { limit: 20 }, output: { items: [track], nextCursor: null } } },
      liked: { liked: { summary: 'Liked tracks, newest like first', output: { items: [track] } } },
      createUpload: {
        upload: {
          summary: "Track's life, step 1: ask for an upload URL (the audio never passes through the API)",
          input: { filename: 'song.mp3', contentType: 'audio/mpeg', size: 4_200_000 },
          output: {
            uploadId: UPLOAD_ID,
            url: `https://storage.example.com/plyr-audio-private/staging/${UPLOAD_ID}?X-Amz-Signature=…`,
            method: 'PUT',
            headers: { 'Content-Type': 'audio/mpeg' },
            expiresAt: EXPIRES_AT,
          },
        },
      },
      finalizeUpload: {
        finalize: {
          summary: "Track's life, step 3 (after the PUT of step 2): store the track and write its fm.plyr.track record",
          input: { uploadId: UPLOAD_ID, title: 'My song' },
          output: track,
        },
      },
      update: {
        gate: {
          summary: "Track's life, step 4: gate it (supporters only, at once; the audio moves in the background)",
          input: { id: TRACK_ID, supportGate: { type: 'any' } },
          output: gatedTrack,
        },
        ungate: {
          summary: "Track's life, step 5: un-gate it (public again; /audio redirects to the CDN once the move is done)",
          input: { id: TRACK_ID, supportGate: null },
          output: { ...track, audioUrl: `${publicUrl}/audio/${FILE_ID}`, storage: 'moving' },
        },
        rename: { summary: 'Rename', input: { id: TRACK_ID, title: 'My song (live)' }, output: { ...track, title: 'My song (live)' } },
      },
      delete: { delete: { summary: 'Delete', input: { id: TRACK_ID }, output: { id: TRACK_ID, deleted: true } } },
      like: { like: { summary: 'Like', input: { id: TRACK_ID }, output: { id: TRACK_ID, liked: true } } },
      unlike: { unlike: { summary: 'Unlike', input: { id: TRACK_ID }, output: { id: TRACK_ID, liked: false } } },
    },
    supporters: {
      check: { supporter: { summary: 'A supporter', input: { artistDid: ARTIST.did }, output: { supporter: true, source: 'atprotofans' } } },
      supportedArtists: {
        some: {
          summary: 'One supported, one not, one whose check failed',
          input: { artistDids: [ARTIST.did, 'did:plc:2mz6a4x6n3q5m7yq4mhkbm5x', 'did:web:music.example.org'] },
          output: { supported: [ARTIST.did], unavailable: ['did:web:music.example.org'] },
        },
      },
    },
    downloads: {
      track: { download: { summary: 'A download URL', input: { id: TRACK_ID }, output: download } },
      likedTracks: {
        mixed: {
          summary: 'One downloadable, one skipped',
          output: {
            items: [
              { track, download, skipped: null },
              { track: { ...gatedTrack, storage: 'ready', gated: true }, download: null, skipped: 'gated' },
            ],
          },
        },
      },
      preferences: { current: { summary: 'Current preferences', output: { autoDownloadLiked: false } } },
      setPreferences: { enable: { summary: 'Turn automatic downloads on', input: { autoDownloadLiked: true }, output: { autoDownloadLiked: true } } },
    },
    auth: {
      me: { me: { summary: 'The signed-in account', output: ARTIST } },
      developerTokens: {
        create: {
          create: {
            summary: 'A token for a script (with a signed-in session)',
            input: { name: 'my script', expiresInDays: 90 },
            output: { id: TOKEN_ID, token: 'plyr_dev_…', expiresAt: '2026-04-15T12:00:00.000Z' },
          },
        },
        list: {
          list: {
            summary: 'Live tokens',
            output: { tokens: [{ id: TOKEN_ID, name: 'my script', createdAt: CREATED_AT, expiresAt: '2026-04-15T12:00:00.000Z' }] },
          },
        },
        revoke: { revoke: { summary: 'Revoke', input: { id: TOKEN_ID }, output: { success: true } } },
      },
    },
  };
}

/** The examples by dotted procedure path (`tracks.update`), as the document generator walks them. */
export function examplesByProcedure(publicUrl: string): Map<string, Record<string, OperationExample<unknown, unknown>>> {
  const found = new Map<string, Record<string, OperationExample<unknown, unknown>>>();
  const walk = (node: object, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      const first = Object.values(value as object)[0] as { output?: unknown } | undefined;
      if (first && 'output' in first) found.set(prefix + key, value as Record<string, OperationExample<unknown, unknown>>);
      else walk(value as object, `${prefix}${key}.`);
    }
  };
  walk(operationExamples(publicUrl), '');
  return found;
}
