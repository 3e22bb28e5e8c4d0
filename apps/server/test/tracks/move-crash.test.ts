import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs } from '@plyr/testing/atproto/login';
import type { MoveHooks } from '@plyr/core/tracks';
import {
  bucketsHolding,
  gate,
  mp3Bytes,
  mutate,
  ok,
  query,
  readTrackRecord,
  recordKeyOf,
  startMoveWorker,
  uploadTrack,
  type Caller,
  type TestWorker,
  type Track,
} from './helpers.js';

/**
 * Crash safety of the move: a worker fails or goes away between two steps, another one (or the
 * retry) finishes, and the audio ends up exactly once, in the right bucket, with the record right.
 */

let network: LocalAtprotoNetwork;
let fans: FakeAtprotofans;
let app: TestApp;
let artist: Caller & { did: string };
let stranger: Caller;
const workers: TestWorker[] = [];

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  fans = await startFakeAtprotofans();
  app = await startTestApp({ ...network.env, ATPROTOFANS_URL: fans.url, RATE_LIMIT_ENABLED: 'false' }, { runWorker: false });
  const [a, s] = await Promise.all([network.createAccount('crashartist'), network.createAccount('passerby')]);
  artist = await loginAs(app, a!.handle, a!.password);
  stranger = await loginAs(app, s!.handle, s!.password);
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
});

afterAll(async () => {
  await app?.close();
  await fans?.close();
  await network?.close();
});

async function worker(hooks?: MoveHooks): Promise<TestWorker> {
  const w = await startMoveWorker(app, hooks);
  workers.push(w);
  return w;
}

/** A hook that throws the first time only, and tells when it did. */
function failOnce(what: string) {
  const failed = gate();
  let armed = true;
  const hook = () => {
    if (!armed) return;
    armed = false;
    failed.arrive();
    throw new Error(`injected failure: ${what}`);
  };
  return { hook, failed: failed.reached };
}

const byId = async (id: string) => ok(await query<Track>(app, artist, 'tracks.byId', { id }));
const audioStatus = async (fileId: string, who: Caller) =>
  (await fetch(`${app.url}/audio/${fileId}`, { method: 'HEAD', redirect: 'manual', headers: who.headers })).status;

describe('the move survives a crash', () => {
  it('a worker lost after the copy (before switch and delete): another worker completes it, one object remains', async () => {
    const track = await uploadTrack(app, artist, { title: 'Crash after copy', bytes: mp3Bytes(6_000) });
    ok(await mutate(app, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any' } }));

    const crash = failOnce('after copy');
    const first = await worker({ afterCopy: crash.hook });
    await crash.failed;
    await first.close();
    workers.splice(workers.indexOf(first), 1);

    // Half done: copied, not switched, nothing deleted; access already follows the gate.
    expect(await bucketsHolding(app, track)).toEqual(['public', 'private']);
    expect(await byId(track.id)).toMatchObject({ storage: 'moving', supportGate: { type: 'any' } });
    expect(await audioStatus(track.fileId, stranger)).toBe(402);
    expect(await audioStatus(track.fileId, artist)).toBe(200);

    const second = await worker();
    await second.whenIdle();
    expect(await bucketsHolding(app, track)).toEqual(['private']);
    expect(await byId(track.id)).toMatchObject({ storage: 'ready' });
    const record = await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id));
    expect(record).toMatchObject({ audioUrl: `${app.ctx.env.publicUrl}/audio/${track.fileId}`, supportGate: { type: 'any' } });
  });

  it('a delete of the source that fails once is retried with backoff: one object remains, in the right bucket', async () => {
    const track = await uploadTrack(app, artist, { title: 'Delete fails', supportGate: { type: 'any' } });
    ok(await mutate(app, artist, 'tracks.update', { id: track.id, supportGate: null }));

    const failure = failOnce('delete source');
    const w = await worker({ beforeDeleteSource: failure.hook });
    await failure.failed;
    // Switched but not cleaned: the row already points at the public copy, both exist.
    expect(await bucketsHolding(app, track)).toEqual(['public', 'private']);
    await w.whenIdle();
    expect(await bucketsHolding(app, track)).toEqual(['public']);
    expect(await byId(track.id)).toMatchObject({ storage: 'ready', audioUrl: app.services.storage.cdnUrl(track.fileId, 'mp3') });
  });

  it('a PDS write that fails once is retried: the record ends up matching the track', async () => {
    const track = await uploadTrack(app, artist, { title: 'Record fails', supportGate: { type: 'any' } });
    ok(await mutate(app, artist, 'tracks.update', { id: track.id, supportGate: null, title: 'Record fails, then works' }));
    const failure = failOnce('record write');
    const w = await worker({ beforeRecordWrite: failure.hook });
    await failure.failed;
    await w.whenIdle();
    const record = await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id));
    expect(record).toMatchObject({ title: 'Record fails, then works', audioUrl: app.services.storage.cdnUrl(track.fileId, 'mp3') });
    expect(record).not.toHaveProperty('supportGate');
  });

  it('rapid toggles converge on the last gate, with one object', async () => {
    const track = await uploadTrack(app, artist, { title: 'Toggled' });
    for (const supportGate of [{ type: 'any' }, null, { type: 'any' }, null, { type: 'any' }]) {
      ok(await mutate(app, artist, 'tracks.update', { id: track.id, supportGate }));
    }
    const w = await worker();
    await w.whenIdle();
    expect(await bucketsHolding(app, track)).toEqual(['private']);
    expect(await byId(track.id)).toMatchObject({ storage: 'ready', supportGate: { type: 'any' } });
    const record = await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id));
    expect(record).toMatchObject({ supportGate: { type: 'any' } });
  });
});
