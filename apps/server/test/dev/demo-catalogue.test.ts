import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork, type TestAccount } from '@plyr/testing/atproto/network';
import { loginAs } from '@plyr/testing/atproto/login';
import { DEMO_RELEASE_AFTER_MS, seedDemoCatalogue, type DemoTrack } from '@plyr/testing/demo-catalogue';

/**
 * What `pnpm dev` seeds, against a live API: the artist's three tracks, each in its gating state as
 * the supporter, the listener and a signed-out visitor see and play it.
 */

let network: LocalAtprotoNetwork;
let fans: FakeAtprotofans;
let app: TestApp;
let accounts: Record<'artist' | 'supporter' | 'listener', TestAccount>;
let seeded: DemoTrack[];
const now = new Date();

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  fans = await startFakeAtprotofans();
  app = await startTestApp({ ...network.env, ATPROTOFANS_URL: fans.url, RATE_LIMIT_ENABLED: 'false', SUPPORTER_SOURCES: 'atprotofans' });
  const [artist, supporter, listener] = await Promise.all(['artist', 'supporter', 'listener'].map((name) => network.createAccount(name)));
  accounts = { artist: artist!, supporter: supporter!, listener: listener! };
  fans.setSupporters([[supporter!.did, artist!.did]]);
  seeded = await seedDemoCatalogue({ apiUrl: app.url, artist: accounts.artist, now });
});

afterAll(async () => {
  await app?.close();
  await fans?.close();
  await network?.close();
});

interface Listed {
  id: string;
  title: string;
  fileId: string;
  gated: boolean;
  supportGate: { type: 'any'; publicAt?: string } | null;
}

async function listAs(headers: Record<string, string>): Promise<Listed[]> {
  const input = encodeURIComponent(JSON.stringify({ limit: 50 }));
  const res = await fetch(`${app.url}/trpc/tracks.list?input=${input}`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { result: { data: { items: Listed[] } } }).result.data.items;
}

const audioStatus = async (fileId: string, headers: Record<string, string>) =>
  (await fetch(`${app.url}/audio/${fileId}`, { method: 'HEAD', redirect: 'manual', headers })).status;

describe('seedDemoCatalogue', () => {
  it('uploads a public, a gated and an early-access track as the artist, newest (early access) first', async () => {
    const publicAt = new Date(now.getTime() + DEMO_RELEASE_AFTER_MS).toISOString();
    expect(seeded.map((t) => [t.title, t.state, t.publicAt])).toEqual([
      ['Open Door', 'public', undefined],
      ['Back Room', 'gated', undefined],
      ['Coming Soon', 'early-access', publicAt],
    ]);
    const listed = await listAs({});
    expect(listed.map((t) => [t.title, t.supportGate])).toEqual([
      ['Coming Soon', { type: 'any', publicAt }],
      ['Back Room', { type: 'any' }],
      ['Open Door', null],
    ]);
  });

  it('each state plays as it should for each demo account', async () => {
    const supporter = await loginAs(app, accounts.supporter.handle, accounts.supporter.password);
    const listener = await loginAs(app, accounts.listener.handle, accounts.listener.password);
    const byTitle = new Map((await listAs({})).map((t) => [t.title, t]));
    const fileIds = ['Open Door', 'Back Room', 'Coming Soon'].map((title) => byTitle.get(title)!.fileId);

    expect((await listAs(listener.headers)).map((t) => [t.title, t.gated])).toEqual([
      ['Coming Soon', true],
      ['Back Room', true],
      ['Open Door', false],
    ]);
    expect((await listAs(supporter.headers)).every((t) => !t.gated)).toBe(true);
    expect(await Promise.all(fileIds.map((id) => audioStatus(id, supporter.headers)))).toEqual([307, 200, 200]);
    expect(await Promise.all(fileIds.map((id) => audioStatus(id, listener.headers)))).toEqual([307, 402, 402]);
    expect(await Promise.all(fileIds.map((id) => audioStatus(id, {})))).toEqual([307, 401, 401]);
  });
});
