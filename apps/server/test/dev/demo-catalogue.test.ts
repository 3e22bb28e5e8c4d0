import { describe, expect } from 'vitest';
import { DEMO_RELEASE_AFTER_MS, seedDemoCatalogue } from '@plyr/testing/demo-catalogue';
import { withStack, type TestApp } from '../support/index.js';

/**
 * What `pnpm dev` seeds, against a live API: the artist's three tracks, each in its gating state as
 * the supporter, the listener and a signed-out visitor see and play it.
 */

const now = new Date();

// The stack the demo runs on, and the catalogue `pnpm dev` seeds on it, once for this file.
const demoTest = withStack({ SUPPORTER_SOURCES: 'atprotofans' }).extend('seeded', { scope: 'file' }, async ({ app, accounts }) =>
  seedDemoCatalogue({ apiUrl: app.url, artist: accounts.artist, now }),
);

interface Listed {
  id: string;
  title: string;
  fileId: string;
  gated: boolean;
  supportGate: { type: 'any'; publicAt?: string } | null;
}

async function listAs(app: TestApp, headers: Record<string, string>): Promise<Listed[]> {
  const input = encodeURIComponent(JSON.stringify({ limit: 50 }));
  const res = await fetch(`${app.url}/trpc/tracks.list?input=${input}`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { result: { data: { items: Listed[] } } }).result.data.items;
}

const audioStatus = async (app: TestApp, fileId: string, headers: Record<string, string>) =>
  (await fetch(`${app.url}/audio/${fileId}`, { method: 'HEAD', redirect: 'manual', headers })).status;

describe('seedDemoCatalogue', () => {
  demoTest('uploads a public, a gated and an early-access track as the artist, newest (early access) first', async ({ app, seeded }) => {
    const publicAt = new Date(now.getTime() + DEMO_RELEASE_AFTER_MS).toISOString();
    expect(seeded.map((t) => [t.title, t.state, t.publicAt])).toEqual([
      ['Open Door', 'public', undefined],
      ['Back Room', 'gated', undefined],
      ['Coming Soon', 'early-access', publicAt],
    ]);
    const listed = await listAs(app, {});
    expect(listed.map((t) => [t.title, t.supportGate])).toEqual([
      ['Coming Soon', { type: 'any', publicAt }],
      ['Back Room', { type: 'any' }],
      ['Open Door', null],
    ]);
  });

  demoTest('each state plays as it should for each demo account', async ({ app, accounts, signIn, seeded }) => {
    expect(seeded).toHaveLength(3);
    const supporter = await signIn(accounts.supporter);
    const listener = await signIn(accounts.listener);
    const byTitle = new Map((await listAs(app, {})).map((t) => [t.title, t]));
    const fileIds = ['Open Door', 'Back Room', 'Coming Soon'].map((title) => byTitle.get(title)!.fileId);

    expect((await listAs(app, listener.headers)).map((t) => [t.title, t.gated])).toEqual([
      ['Coming Soon', true],
      ['Back Room', true],
      ['Open Door', false],
    ]);
    expect((await listAs(app, supporter.headers)).every((t) => !t.gated)).toBe(true);
    expect(await Promise.all(fileIds.map((id) => audioStatus(app, id, supporter.headers)))).toEqual([307, 200, 200]);
    expect(await Promise.all(fileIds.map((id) => audioStatus(app, id, listener.headers)))).toEqual([307, 402, 402]);
    expect(await Promise.all(fileIds.map((id) => audioStatus(app, id, {})))).toEqual([307, 401, 401]);
  });
});
