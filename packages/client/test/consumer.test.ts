import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { cleanEnv, npmInstallInto, packInto, run } from '@plyr/testing/tarball';
import { liveTest, mp3Bytes, sameBytes } from './support/live-api.js';

/**
 * A third-party developer's view: `pnpm pack` the SDK, install the tarball into an empty folder
 * outside the workspace with npm (only its declared dependencies come along, from the registry),
 * type-check a small program with `tsc --noEmit --strict`, then run it with Node against a live API.
 */

const packageDir = join(import.meta.dirname, '..');
const programDir = join(import.meta.dirname, 'consumer');

/** The first fenced block of `lang` after `heading` in a Markdown text. */
function codeBlock(markdown: string, heading: string, lang: string): string {
  const section = markdown.slice(markdown.indexOf(heading));
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section);
  if (!match?.[1]) throw new Error(`no ${lang} block after "${heading}"`);
  return match[1];
}

const publicBytes = mp3Bytes(48 * 1024);

const consumerTest = liveTest
  // The developer's folder: the SDK installed from its tarball, the programs, the README's examples.
  // eslint-disable-next-line no-empty-pattern
  .extend('appDir', { scope: 'file' }, async ({}, { onCleanup }) => {
    const appDir = await mkdtemp(join(tmpdir(), 'plyr-consumer-'));
    onCleanup(() => rm(appDir, { recursive: true, force: true }));
    const [tarball] = await packInto(appDir, [packageDir]);
    // The SDK from its tarball; TypeScript and Node's types are the developer's own tools.
    await npmInstallInto(appDir, [`./${tarball}`, 'typescript@5.9.3', '@types/node@22.20.7']);
    for (const file of ['main.ts', 'wrong.ts', 'tsconfig.json']) await copyFile(join(programDir, file), join(appDir, file));
    // The README's own examples, as shipped in the tarball: they must compile and run as written.
    const readme = await readFile(join(appDir, 'node_modules', '@plyr', 'client', 'README.md'), 'utf8');
    await writeFile(join(appDir, 'frontend.ts'), codeBlock(readme, '## Quickstart: a frontend', 'ts'));
    await writeFile(join(appDir, 'script.mjs'), codeBlock(readme, '`script.mjs`:', 'js'));
    return appDir;
  })
  .extend('tracks', { scope: 'file' }, async ({ artist }) => {
    const publicTrack = await artist.client.uploadTrack(new Blob([publicBytes]), { title: 'Open Air', filename: 'open-air.mp3' });
    const gatedTrack = await artist.client.uploadTrack(new Blob([mp3Bytes(16 * 1024)]), {
      title: 'Backstage',
      filename: 'backstage.mp3',
      supportGate: { type: 'any' },
    });
    return { publicTrack, gatedTrack };
  });

describe('the SDK installed from its tarball', () => {
  // The first test waits for the install (`appDir`), as the file's setup once did.
  consumerTest('brings only its declared dependencies: the tRPC client and its server types, nothing of plyr', { timeout: 300_000 }, async ({ appDir }) => {
    const lock = JSON.parse(await readFile(join(appDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    const installed = Object.keys(lock.packages)
      .filter((path) => path !== '')
      .map((path) => path.replace(/^node_modules\//, ''))
      .sort();
    expect(installed).toEqual(['@plyr/client', '@trpc/client', '@trpc/server', '@types/node', 'typescript', 'undici-types']);
  });

  consumerTest('type-checks under tsc --noEmit --strict, and exactly the deliberate mistakes are refused', { timeout: 120_000 }, async ({ appDir }) => {
    const tsc = await run(process.execPath, [join(appDir, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '-p', '.'], {
      cwd: appDir,
      timeoutMs: 110_000,
    });
    const errors = tsc.stdout
      .split('\n')
      .filter((line) => /error TS\d+/.test(line))
      .map((line) => line.replace(/: error (TS\d+):.*/, ' $1'));
    expect(errors).toEqual(['wrong.ts(7,32) TS2322', 'wrong.ts(11,7) TS2322', 'wrong.ts(14,57) TS2345']);
    expect(tsc.code).not.toBe(0);
  });

  consumerTest('the README ships in the tarball with both quickstarts', async ({ appDir }) => {
    expect(await readFile(join(appDir, 'frontend.ts'), 'utf8')).toContain("mode: 'cookie'");
    expect(await readFile(join(appDir, 'script.mjs'), 'utf8')).toContain('process.env.PLYR_TOKEN');
  });

  consumerTest('runs against the live API with a developer token: lists, preflights, uploads with progress, downloads liked tracks', { timeout: 120_000 }, async ({ app, listener, tracks: { publicTrack, gatedTrack }, appDir }) => {
    const uploadFile = join(appDir, 'song.mp3');
    const uploadBytes = mp3Bytes(256 * 1024);
    await writeFile(uploadFile, uploadBytes);
    const outDir = join(appDir, 'downloads');
    const program = await run(process.execPath, ['main.ts'], {
      cwd: appDir,
      env: cleanEnv({
        PLYR_API_URL: app.url,
        PLYR_TOKEN: listener.token,
        GATED_FILE_ID: gatedTrack.fileId,
        GATED_TRACK_ID: gatedTrack.id,
        PUBLIC_TRACK_ID: publicTrack.id,
        UPLOAD_FILE: uploadFile,
        OUT_DIR: outDir,
      }),
      timeoutMs: 110_000,
    });
    expect(program.stderr.replace(/.*ExperimentalWarning.*\n|.*--trace-warnings.*\n/g, '')).toBe('');
    expect(program.code).toBe(0);
    const result = JSON.parse(program.stdout) as Record<string, unknown>;

    expect(result.me).toEqual({ did: listener.did, handle: listener.handle });
    expect(result.titles).toEqual(expect.arrayContaining(['Open Air', 'Backstage (supporters only)']));
    expect(result.gatedAudio).toBe('support');
    expect(result.gatedDownload).toBe('support required (HTTP 402)');
    expect(result.upload).toMatchObject({ title: 'From a script', gated: false, size: uploadBytes.length, last: uploadBytes.length });
    expect((result.upload as { events: number }).events).toBeGreaterThan(1);
    expect(result.summary).toEqual({ downloaded: 1, skipped: 1, failed: 0 });
    expect(result.received).toBe(publicBytes.length);

    const [saved] = (result.report as string[]).filter((line) => line.startsWith('saved ')).map((line) => line.slice('saved '.length));
    expect(result.report).toEqual(expect.arrayContaining(['skipped Backstage: gated']));
    expect(sameBytes(await readFile(join(outDir, saved!)), publicBytes)).toBe(true);

    const mine = await listener.client.tracks.mine.query();
    expect(mine.items.map((t) => t.title)).toContain('From a script');
  });

  consumerTest("the README's Node script runs as written from the folder it was installed in", { timeout: 120_000 }, async ({ app, fan, tracks: { publicTrack, gatedTrack }, appDir }) => {
    const song = mp3Bytes(96 * 1024);
    await writeFile(join(appDir, 'song.mp3'), song);
    for (const id of [publicTrack.id, gatedTrack.id]) await fan.client.tracks.like.mutate({ id });
    const script = await run(process.execPath, ['script.mjs'], {
      cwd: appDir,
      env: cleanEnv({ PLYR_API_URL: app.url, PLYR_TOKEN: fan.token }),
      timeoutMs: 110_000,
    });
    expect(script.stderr).toBe('');
    expect(script.code).toBe(0);
    expect(script.stdout).toContain(`signed in as ${fan.handle}`);
    expect(script.stdout).toMatch(/\r100%\nuploaded [0-9a-f-]{36}\n/);
    expect(script.stdout).toContain('{ downloaded: 2, skipped: 0, failed: 0 }');
    expect((await readdir(join(appDir, 'liked'))).sort()).toEqual([expect.stringMatching(/Backstage/), expect.stringMatching(/Open Air/)]);
    const uploaded = (await fan.client.tracks.mine.query()).items.find((t) => t.title === 'My song');
    expect(uploaded).toBeDefined();
    const { url } = await fan.client.downloads.track.query({ id: uploaded!.id });
    expect(sameBytes(new Uint8Array(await (await fetch(url)).arrayBuffer()), song)).toBe(true);
  });
});
