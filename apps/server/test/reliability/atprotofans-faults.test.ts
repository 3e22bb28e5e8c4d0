import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAtprotofans, type FakeAtprotofans, type FakeAtprotofansMode } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { http, trpcCode, trpcQuery } from './support/http.js';
import { seedMember, seedTrack, type Member, type SeededTrack } from './support/seed.js';

/**
 * atprotofans slow past its budget, failing, hanging or answering garbage: a gated track is
 * "try again" (503 + Retry-After), never "not a supporter" (402); lists still load and mark it
 * gated; nothing of the failure is cached, so the next good answer counts at once.
 */

/** The supporter check's whole budget is 3 s; a little more for the request around it. */
const CHECK_BUDGET_MS = 3_000;
const ANSWER_WITHIN_MS = CHECK_BUDGET_MS + 1_500;

let atprotofans: FakeAtprotofans;
let app: TestApp;
let artist: Member;
let gated: SeededTrack;

beforeAll(async () => {
  atprotofans = await startFakeAtprotofans();
  app = await startTestApp({ ATPROTOFANS_URL: atprotofans.url, RATE_LIMIT_ENABLED: 'false' });
  artist = await seedMember(app.services, 'fans-artist');
  gated = await seedTrack(app.services, artist, { gated: true });
});

afterAll(async () => {
  await app?.close();
  await atprotofans?.close();
});

const FAULTS: Array<[string, FakeAtprotofansMode, { delayMs?: number; body?: string }]> = [
  ['slower than the budget', 'slow', { delayMs: CHECK_BUDGET_MS + 2_000 }],
  ['answering 500', 'error500', {}],
  ['never answering', 'timeout', {}],
  ['answering truncated JSON', 'garbage', {}],
  ['answering JSON of the wrong shape', 'garbage', { body: '{"valid":"yes"}' }],
  ['answering HTML', 'garbage', { body: '<html>Bad gateway</html>' }],
];

describe.each(FAULTS)('atprotofans %s', (_name, mode, options) => {
  let supporter: Member;
  let stranger: Member;

  beforeAll(async () => {
    supporter = await seedMember(app.services, 'fan');
    stranger = await seedMember(app.services, 'stranger');
    atprotofans.addSupporter(supporter.did, artist.did);
    atprotofans.setMode(mode, options);
  });

  // All at once: each waits out the check's budget, so sequentially a slow fault would cost it many times.
  it('gated /audio → 503 + Retry-After (never 402), lists still load with gated: true, checks say SERVICE_UNAVAILABLE', async () => {
    const requestsBefore = atprotofans.requests;
    const audio = (who: Member, method: string) => http(`${app.url}/audio/${gated.fileId}`, { method, headers: who.bearer });
    const [audioAnswers, list, one, check, download, batch, own] = await Promise.all([
      Promise.all([audio(supporter, 'GET'), audio(supporter, 'HEAD'), audio(stranger, 'GET'), audio(stranger, 'HEAD')]),
      trpcQuery(app.url, 'tracks.list', { limit: 10 }, supporter.bearer),
      trpcQuery(app.url, 'tracks.byId', { id: gated.id }, stranger.bearer),
      trpcQuery(app.url, 'supporters.check', { artistDid: artist.did }, supporter.bearer),
      trpcQuery(app.url, 'downloads.track', { id: gated.id }, stranger.bearer),
      trpcQuery(app.url, 'supporters.supportedArtists', { artistDids: [artist.did] }, supporter.bearer),
      http(`${app.url}/audio/${gated.fileId}`, { headers: artist.bearer }),
    ]);

    for (const res of audioAnswers) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.headers.get('cache-control')).toBe('private, no-store');
      expect(res.headers.get('x-support-required')).toBeNull();
      expect(res.ms).toBeLessThan(ANSWER_WITHIN_MS);
    }
    expect(list.status).toBe(200);
    expect(list.ms).toBeLessThan(ANSWER_WITHIN_MS);
    expect(list.json.result.data.items.find((t: { id: string }) => t.id === gated.id)).toMatchObject({ gated: true, supportGate: { type: 'any' } });
    expect(one.json.result.data.gated).toBe(true);
    for (const res of [check, download]) {
      expect(res.status).toBe(503);
      expect(trpcCode(res)).toBe('SERVICE_UNAVAILABLE');
    }
    expect(batch.json.result.data).toEqual({ supported: [], unavailable: [artist.did] });
    // The artist plays their own track: no check needed, none made on their behalf.
    expect(own.status).toBe(307);
    expect(atprotofans.requestLog.slice(requestsBefore).some((r) => r.supporter === artist.did)).toBe(false);
  });

  it('nothing was cached: once atprotofans answers again, the supporter plays and the stranger gets 402 at once', async () => {
    atprotofans.setMode('ok');
    const requestsBefore = atprotofans.requests;
    expect((await http(`${app.url}/audio/${gated.fileId}`, { headers: supporter.bearer })).status).toBe(307);
    const refused = await http(`${app.url}/audio/${gated.fileId}`, { headers: stranger.bearer });
    expect(refused.status).toBe(402);
    expect(refused.headers.get('x-support-required')).toBe('true');
    expect(atprotofans.requests - requestsBefore).toBe(2);
    const list = await trpcQuery(app.url, 'tracks.list', { limit: 10 }, supporter.bearer);
    expect(list.json.result.data.items.find((t: { id: string }) => t.id === gated.id).gated).toBe(false);
  });
});

describe('atprotofans slow but within its budget', () => {
  it('is waited for: the supporter plays', async () => {
    const supporter = await seedMember(app.services, 'patient-fan');
    atprotofans.addSupporter(supporter.did, artist.did);
    atprotofans.setMode('slow', { delayMs: 800 });
    const res = await http(`${app.url}/audio/${gated.fileId}`, { headers: supporter.bearer });
    atprotofans.setMode('ok');
    expect(res.status).toBe(307);
    expect(res.ms).toBeGreaterThan(700);
  });
});
