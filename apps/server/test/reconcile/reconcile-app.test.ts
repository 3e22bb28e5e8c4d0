import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReconcile } from '@plyr/core/reconcile';
import { startTestApp, type TestApp } from '../support/index.js';
import { seedMember, seedTrack, type Member, type SeededTrack } from '../reliability/support/seed.js';

/** What an artist and a listener see of a track whose audio is lost, and `pnpm reconcile` as its own process. */

const CLI = join(import.meta.dirname, '..', '..', 'src', 'reconcile-cli.ts');

let app: TestApp;
let artist: Member;
let lost: SeededTrack;

beforeAll(async () => {
  app = await startTestApp();
  artist = await seedMember(app.services, 'reconcile-artist');
  lost = await seedTrack(app.services, artist, { gated: false });
  await app.services.storage.delete('public', app.services.storage.audioKey(lost.fileId, lost.fileType));
});

afterAll(async () => {
  await app?.close();
});

describe('a track whose audio is in neither bucket', () => {
  it('plays as a 404 with the reason once marked, and its owner sees why in tracks.mine', async () => {
    // Before the check: the row still points at the public bucket.
    expect((await fetch(`${app.url}/audio/${lost.fileId}`, { redirect: 'manual' })).status).toBe(307);
    const report = await runReconcile(app.services, { repair: 'scheduled' });
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'audio_missing', subject: lost.id, action: 'repaired' }));

    const res = await fetch(`${app.url}/audio/${lost.fileId}`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND', reason: 'audio_missing' } });

    const mine = await fetch(`${app.url}/v1/me/tracks`, { headers: artist.bearer });
    expect(mine.status).toBe(200);
    const { items } = (await mine.json()) as { items: Array<{ id: string; unavailable?: string }> };
    expect(items.find((t) => t.id === lost.id)).toMatchObject({ unavailable: 'audio_missing' });
    // Others' lists carry no such field.
    const list = (await (await fetch(`${app.url}/v1/tracks`)).json()) as { items: Array<{ id: string; unavailable?: string }> };
    expect(list.items.find((t) => t.id === lost.id)).not.toHaveProperty('unavailable');
  });
});

describe('pnpm reconcile', () => {
  it('refuses an unknown flag with the usage line and exit 2', () => {
    const out = spawnSync(process.execPath, ['--import', 'tsx', CLI, '--repiar'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/--repiar/);
    expect(out.stderr).toMatch(/^usage: pnpm reconcile \[--repair\]/m);
  });
});
