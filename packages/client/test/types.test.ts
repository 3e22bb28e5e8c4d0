import { describe, expectTypeOf, it } from 'vitest';
import type { MAX_BATCH_SIZE, RouterInputs as ServerInputs, RouterOutputs as ServerOutputs } from '@plyr/api';
import {
  createPlyrClient,
  isPlyrError,
  type MAX_BATCH_ITEMS,
  type LikedTrackResult,
  type PlyrError,
  type RouterInputs,
  type RouterOutputs,
  type Track,
} from '../src/index.js';

/**
 * Compile-time contract of the SDK. These assertions are checked by `typecheck.test.ts` (tsc over
 * this package); at run time they are no-ops. The client's types are a context-free copy of the
 * server's router, so the first block proves the copy is exact.
 */

const plyr = createPlyrClient({ baseUrl: 'http://localhost:3000', token: 'plyr_dev_x' });

describe('the published router types are the server router, minus its context', () => {
  it('every procedure input and output equals the server type', () => {
    expectTypeOf<RouterInputs>().toEqualTypeOf<ServerInputs>();
    expectTypeOf<RouterOutputs>().toEqualTypeOf<ServerOutputs>();
  });

  it('batches are capped at the server cap', () => {
    expectTypeOf<typeof MAX_BATCH_ITEMS>().toEqualTypeOf<typeof MAX_BATCH_SIZE>();
  });
});

describe('procedure inputs and outputs', () => {
  it('tracks', () => {
    expectTypeOf<RouterInputs['tracks']['list']>().toEqualTypeOf<void | { cursor?: string | undefined; limit?: number | undefined } | undefined>();
    expectTypeOf(plyr.tracks.list.query).toBeCallableWith();
    expectTypeOf<RouterInputs['tracks']['byId']>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<RouterInputs['tracks']['finalizeUpload']['supportGate']>().toEqualTypeOf<{ type: 'any'; publicAt?: string | undefined } | null | undefined>();
    expectTypeOf<RouterOutputs['tracks']['list']>().toEqualTypeOf<{ items: Track[]; nextCursor: string | null }>();
    expectTypeOf<RouterOutputs['tracks']['liked']['items']>().toEqualTypeOf<Track[]>();
  });

  it('a track: viewer-resolved `gated` is a boolean; dates arrive as strings', () => {
    expectTypeOf<Track['gated']>().toEqualTypeOf<boolean>();
    expectTypeOf<Track['supportGate']>().toEqualTypeOf<{ type: 'any'; publicAt?: string | undefined } | null>();
    expectTypeOf<Track['storage']>().toEqualTypeOf<'ready' | 'moving'>();
    expectTypeOf<Track['createdAt']>().toEqualTypeOf<string>();
    expectTypeOf<Track['artist']>().toEqualTypeOf<{ did: string; handle: string }>();
  });

  it('auth, supporters, downloads', () => {
    expectTypeOf<RouterInputs['auth']['exchange']>().toEqualTypeOf<{ exchangeToken: string; mode: 'cookie' | 'token' }>();
    expectTypeOf<RouterOutputs['auth']['me']>().toEqualTypeOf<{ did: string; handle: string }>();
    expectTypeOf<RouterOutputs['auth']['developerTokens']['create']>().toEqualTypeOf<{ id: string; token: string; expiresAt: string }>();
    expectTypeOf<RouterOutputs['supporters']['check']>().toEqualTypeOf<{ supporter: boolean; source: 'attested' | 'atprotofans' | null }>();
    expectTypeOf<RouterOutputs['downloads']['track']>().toEqualTypeOf<{ url: string; filename: string; expiresAt: string }>();
    expectTypeOf<RouterOutputs['downloads']['preferences']>().toEqualTypeOf<{ autoDownloadLiked: boolean }>();
  });

  it('wrong inputs do not compile', () => {
    const calls = () => {
      // @ts-expect-error a track id is a string
      void plyr.tracks.byId.query({ id: 42 });
      // @ts-expect-error supportGate is { type: 'any' } or null
      void plyr.tracks.update.mutate({ id: 'x', supportGate: { type: 'friends' } });
      // @ts-expect-error no such procedure
      void plyr.tracks.purge.mutate({ id: 'x' });
    };
    expectTypeOf(calls).toBeFunction();
  });
});

describe('errors narrow by code', () => {
  it('isPlyrError narrows to the code asked for, with typed data', () => {
    const err: unknown = new Error('x');
    if (isPlyrError(err, 'PAYMENT_REQUIRED')) {
      expectTypeOf(err.data.code).toEqualTypeOf<'PAYMENT_REQUIRED'>();
      expectTypeOf(err.data.httpStatus).toEqualTypeOf<number>();
      expectTypeOf(err).toExtend<PlyrError<'PAYMENT_REQUIRED'>>();
    }
    if (isPlyrError(err)) {
      expectTypeOf(err.data.code).toEqualTypeOf<PlyrError['data']['code']>();
      expectTypeOf<'UNAUTHORIZED'>().toExtend<typeof err.data.code>();
    }
    // @ts-expect-error not a tRPC error code
    isPlyrError(err, 'NOT_A_SUPPORTER');
  });
});

describe('helpers', () => {
  it('uploadTrack resolves to the created track; downloadLikedTracks reports tracks', () => {
    expectTypeOf(plyr.uploadTrack).returns.toEqualTypeOf<Promise<Track>>();
    expectTypeOf<Extract<LikedTrackResult<Track>, { status: 'skipped' }>['reason']>().toEqualTypeOf<'gated' | 'unavailable'>();
    expectTypeOf(plyr.preflightAudio).returns.resolves.toEqualTypeOf<'ok' | 'login' | 'support' | 'unavailable' | 'missing'>();
  });
});
