import { loginAs } from './atproto/login.js';
import { wavTone } from './wav.js';

/**
 * The demo artist's catalogue for `pnpm dev`: one track in each gating state, uploaded through the
 * real API as the artist (a local PDS sign-in, then the same three calls any client makes), so a
 * newcomer has something to see and play as each demo account right after start.
 */

/** How long after seeding the early-access track turns public: long enough to try it gated first. */
export const DEMO_RELEASE_AFTER_MS = 3 * 60_000;
const CALL_TIMEOUT_MS = 20_000;

export type DemoTrackState = 'public' | 'gated' | 'early-access';

export interface DemoTrack {
  id: string;
  title: string;
  state: DemoTrackState;
  /** The early-access instant (ISO 8601, UTC), on the early-access track only. */
  publicAt?: string;
}

export interface DemoCatalogueOptions {
  /** The API as the browser reaches it, e.g. http://localhost:3000. */
  apiUrl: string;
  artist: { handle: string; password: string };
  /** The clock the release time is taken from. */
  now?: Date;
  releaseAfterMs?: number;
}

type Gate = { type: 'any'; publicAt?: string } | null;

interface DemoTrackPlan {
  title: string;
  state: DemoTrackState;
  gate: Gate;
  /** Seconds of tone, and its pitch, so the three sound different. */
  seconds: number;
  hz: number;
}

/** Uploads the three demo tracks, oldest first so that the list shows the early-access one on top. */
export async function seedDemoCatalogue(options: DemoCatalogueOptions): Promise<DemoTrack[]> {
  const now = options.now ?? new Date();
  const publicAt = new Date(now.getTime() + (options.releaseAfterMs ?? DEMO_RELEASE_AFTER_MS)).toISOString();
  const plans: DemoTrackPlan[] = [
    { title: 'Open Door', state: 'public', gate: null, seconds: 4, hz: 440 },
    { title: 'Back Room', state: 'gated', gate: { type: 'any' }, seconds: 4, hz: 330 },
    { title: 'Coming Soon', state: 'early-access', gate: { type: 'any', publicAt }, seconds: 4, hz: 550 },
  ];
  const artist = await loginAs({ url: options.apiUrl }, options.artist.handle, options.artist.password, { mode: 'token' });
  const call = trpcCaller(options.apiUrl, artist.headers);
  const seeded: DemoTrack[] = [];
  for (const plan of plans) {
    const bytes = wavTone(plan.seconds, 8_000, plan.hz);
    const filename = `${plan.title.toLowerCase().replaceAll(' ', '-')}.wav`;
    const ticket = await call<{ uploadId: string; url: string; headers: Record<string, string> }>('tracks.createUpload', {
      filename,
      contentType: 'audio/wav',
      size: bytes.length,
    });
    const put = await fetch(ticket.url, {
      method: 'PUT',
      headers: ticket.headers,
      body: new Uint8Array(bytes),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    if (!put.ok) throw new Error(`uploading ${filename} to storage answered ${put.status}`);
    const track = await call<{ id: string; title: string }>('tracks.finalizeUpload', {
      uploadId: ticket.uploadId,
      title: plan.title,
      supportGate: plan.gate,
    });
    seeded.push({ id: track.id, title: track.title, state: plan.state, ...(plan.gate?.publicAt ? { publicAt: plan.gate.publicAt } : {}) });
  }
  return seeded;
}

/** A tRPC mutation over plain HTTP; the API's error message when it refuses. */
function trpcCaller(apiUrl: string, headers: Record<string, string>) {
  return async <T>(path: string, input: unknown): Promise<T> => {
    const res = await fetch(`${apiUrl}/trpc/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(input),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
    if (!res.ok || !body.result) throw new Error(`${path} answered ${res.status}: ${body.error?.message ?? 'no result'}`);
    return body.result.data;
  };
}
