import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mp3Bytes, bucketsHolding } from '../tracks/helpers.js';
import { createDeveloperToken, startRestStack, type RestStack } from './support/stack.js';

/** examples/python/track_life.py, standard library only, against a live API with a developer token. */

const SCRIPT = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'python', 'track_life.py');
const run = promisify(execFile);

let stack: RestStack;
let dir: string;

beforeAll(async () => {
  stack = await startRestStack();
  dir = mkdtempSync(join(tmpdir(), 'plyr-python-'));
});

afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a Python script with only the standard library', () => {
  it('uploads, gates, plays and un-gates a track over REST', async () => {
    const token = await createDeveloperToken(stack.app, stack.artist, 'python');
    const file = join(dir, 'Night drive.mp3');
    writeFileSync(file, mp3Bytes(6_000));

    const { stdout } = await run('python3', [SCRIPT, '--api', stack.app.url, '--token', token, file], { timeout: 120_000 });
    const summary = JSON.parse(stdout);
    expect(summary.steps).toEqual(['uploaded', 'gated', 'played as its artist', 'un-gated']);
    expect(summary.publicAudio).toBe(`${stack.app.ctx.env.cdnBaseUrl}/audio/${summary.fileId}.mp3`);

    const track = await stack.app.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, summary.trackId) });
    expect(track).toMatchObject({ title: 'Night drive', artistDid: stack.artist.did, supportGate: null });
    expect(await bucketsHolding(stack.app, { fileId: summary.fileId, fileType: 'mp3' })).toEqual(['public']);
  });

  it('says what the API refused, in one line, and exits 1', async () => {
    const file = join(dir, 'song.mp3');
    writeFileSync(file, mp3Bytes(1_000));
    const failed = await run('python3', [SCRIPT, '--api', stack.app.url, '--token', 'plyr_dev_revoked', file], { timeout: 60_000 }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr.trim()).toBe(
      'track_life: POST /v1/uploads answered 401: UNAUTHORIZED: The bearer token is unknown, expired or revoked',
    );
  });
});
