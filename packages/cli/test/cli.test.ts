import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { freePort } from '@plyr/testing';
import { liveTest, mp3Bytes, sameBytes } from '../../client/test/support/live-api.js';
import { installCli } from './support/installed-cli.js';

/** The installed `plyr` (from the packed SDK and CLI tarballs) against a live API. */

const cliTest = liveTest
  // eslint-disable-next-line no-empty-pattern
  .extend('cli', { scope: 'file' }, async ({}, { onCleanup }) => {
    const cli = await installCli();
    onCleanup(() => cli.remove());
    return cli;
  })
  // eslint-disable-next-line no-empty-pattern
  .extend('work', { scope: 'file' }, async ({}, { onCleanup }) => {
    const work = await mkdtemp(join(tmpdir(), 'plyr-cli-work-'));
    onCleanup(() => rm(work, { recursive: true, force: true }));
    return work;
  })
  /** A fresh config home per test, so a saved login never leaks from one test into another. */
  .extend('configHome', { scope: 'file' }, async ({ work }) => (): Promise<string> => mkdtemp(join(work, 'config-')))
  /** Signed in through the environment, as a script would be. */
  .extend('as', { scope: 'file' }, async ({ app }) => (token: string): Record<string, string> => ({ PLYR_API_URL: app.url, PLYR_TOKEN: token }))
  // The track the tracks/gate/delete tests switch and finally delete.
  .extend('trackId', { scope: 'file' }, async ({ artist }) => {
    const track = await artist.client.uploadTrack(new Blob([mp3Bytes(16 * 1024)]), { title: 'Switchable', filename: 'switchable.mp3' });
    return track.id;
  });

/** An MP3 whose ID3v2.3 tag carries a title (TIT2), followed by audio frames. */
function taggedMp3(title: string, audioBytes: number): Uint8Array {
  const text = Buffer.from(`\0${title}`, 'latin1');
  const frame = Buffer.concat([Buffer.from('TIT2'), Buffer.from([0, 0, 0, text.length, 0, 0]), text]);
  const size = frame.length;
  const header = Buffer.from(['I', 'D', '3'].map((c) => c.charCodeAt(0)).concat([3, 0, 0, 0, 0, (size >> 7) & 0x7f, size & 0x7f]));
  return Buffer.concat([header, frame, mp3Bytes(audioBytes)]);
}

/** A failure is one line on stderr (no stack trace) and a non-zero exit. */
function expectOneLineFailure(outcome: { code: number; stderr: string }, reason: RegExp): void {
  expect(outcome.code).not.toBe(0);
  expect(outcome.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(outcome.stderr).toMatch(reason);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
}

describe('plyr login, whoami, logout', () => {
  // The first test waits for the install (`cli`) and the stack, as the file's setup once did.
  cliTest('a token piped on stdin is checked with auth.me and saved owner-only in the XDG config dir; logout forgets it', { timeout: 300_000 }, async ({ app, artist, fan, cli, configHome }) => {
    const home = await configHome();
    const env = { XDG_CONFIG_HOME: home };
    const login = await cli.plyr(['login', '--api-url', app.url], { env, input: `${artist.token}\n` });
    expect(login.stderr).toContain(join(home, 'plyr', 'config.json'));
    expect(login.code).toBe(0);
    expect(login.stdout).toBe(`signed in as ${artist.handle} (${artist.did}) at ${app.url}\n`);

    const file = join(home, 'plyr', 'config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'plyr'))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ apiUrl: app.url, token: artist.token });

    const whoami = await cli.plyr(['whoami', '--json'], { env });
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toEqual({ did: artist.did, handle: artist.handle, apiUrl: app.url });

    // The environment overrides the saved login.
    const overridden = await cli.plyr(['whoami'], { env: { ...env, PLYR_TOKEN: fan.token } });
    expect(overridden.stdout).toBe(`${fan.handle} (${fan.did}) at ${app.url}\n`);

    const logout = await cli.plyr(['logout'], { env });
    expect(logout.code).toBe(0);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expectOneLineFailure(await cli.plyr(['whoami'], { env }), /^plyr: not signed in: run `plyr login` or set PLYR_TOKEN\n$/);
  });

  cliTest('--token works too; a token the API does not know is refused in one line and nothing is saved', async ({ app, listener, cli, configHome }) => {
    const home = await configHome();
    const env = { XDG_CONFIG_HOME: home, PLYR_API_URL: app.url };
    expect((await cli.plyr(['login', '--token', listener.token], { env })).code).toBe(0);
    const bad = await cli.plyr(['login', '--token', 'plyr_dev_not-a-real-token'], { env });
    expectOneLineFailure(bad, /^plyr: not signed in \(run `plyr login`\): The bearer token is unknown, expired or revoked\n$/);
    // The earlier, good login is untouched.
    expect(JSON.parse(await readFile(join(home, 'plyr', 'config.json'), 'utf8'))).toMatchObject({ token: listener.token });
  });

  cliTest('an empty stdin is no token', async ({ cli, configHome }) => {
    expectOneLineFailure(await cli.plyr(['login'], { env: { XDG_CONFIG_HOME: await configHome() }, input: '' }), /no token given/);
  });
});

describe('plyr upload', () => {
  cliTest('two files, one not audio: the audio one becomes a track titled from its ID3 tag, the summary says which failed, exit 1', async ({ artist, cli, work, as }) => {
    const song = join(work, 'song.mp3');
    await writeFile(song, taggedMp3('Tagged Title', 64 * 1024));
    const notes = join(work, 'notes.txt');
    await writeFile(notes, 'liner notes, not audio');
    const upload = await cli.plyr(['upload', song, notes], { env: as(artist.token) });
    expect(upload.code).toBe(1);
    const lines = upload.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FILE\s+RESULT\s+TRACK\s+TITLE \/ REASON$/);
    expect(lines[1]).toMatch(new RegExp(`^${song}\\s+uploaded\\s+[0-9a-f-]{36}\\s+Tagged Title$`));
    expect(lines[2]).toMatch(new RegExp(`^${notes}\\s+failed\\s+not an audio file \\(\\.txt; plyr takes \\.mp3 .*\\)$`));
    expect(lines[3]).toBe('2 files: 1 uploaded, 1 failed');
    // No terminal, so no progress bars: stderr stays empty.
    expect(upload.stderr).toBe('');

    const mine = await artist.client.tracks.mine.query();
    expect(mine.items.filter((t) => t.title === 'Tagged Title')).toHaveLength(1);
  });

  cliTest('bytes the API does not take as audio fail with its one-line reason; the others still upload (--json)', async ({ artist, cli, work, as }) => {
    const fake = join(work, 'fake.mp3');
    await writeFile(fake, 'this is text with an .mp3 name');
    const real = join(work, 'real-one.mp3');
    await writeFile(real, mp3Bytes(32 * 1024));
    const upload = await cli.plyr(['upload', fake, real, '--json'], { env: as(artist.token) });
    expect(upload.code).toBe(1);
    const outcomes = JSON.parse(upload.stdout) as Array<{ file: string; status: string; error?: string; track?: { title: string } }>;
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'uploaded']);
    expect(outcomes[0]!.error).toMatch(/^refused: /);
    expect(outcomes[0]!.error).not.toContain('\n');
    expect(outcomes[1]!.track!.title).toBe('real-one');
  });

  cliTest('--title and --gate: a supporters-only track; exit 0 when every file succeeded', async ({ artist, cli, work, as }) => {
    const file = join(work, 'gated.mp3');
    await writeFile(file, mp3Bytes(16 * 1024));
    const upload = await cli.plyr(['upload', file, '--title', 'For Supporters', '--gate', '--json'], { env: as(artist.token) });
    expect(upload.code).toBe(0);
    const [outcome] = JSON.parse(upload.stdout) as Array<{ track: { id: string; supportGate: unknown } }>;
    expect(outcome!.track.supportGate).toEqual({ type: 'any' });
    expect((await artist.client.tracks.byId.query({ id: outcome!.track.id })).supportGate).toEqual({ type: 'any' });
  });

  cliTest('--public-at reaches the API as supportGate.publicAt: an early-access track; past the 2-year limit, refused in one line', async ({ artist, cli, work, as }) => {
    const file = join(work, 'early.mp3');
    await writeFile(file, mp3Bytes(16 * 1024));
    const publicAt = new Date(Date.now() + 30 * 86_400_000);
    publicAt.setUTCMilliseconds(0);
    const upload = await cli.plyr(['upload', file, '--title', 'Early', '--public-at', publicAt.toISOString().replace('.000Z', 'Z'), '--json'], {
      env: as(artist.token),
    });
    expect(upload.code).toBe(0);
    const [outcome] = JSON.parse(upload.stdout) as Array<{ track: { supportGate: unknown } }>;
    expect(outcome!.track.supportGate).toEqual({ type: 'any', publicAt: publicAt.toISOString() });

    const tooFar = await cli.plyr(['upload', file, '--public-at', '2031-05-01T12:00:00+02:00'], { env: as(artist.token) });
    expect(tooFar.code).toBe(1);
    expect(tooFar.stdout).toMatch(/failed\s+refused: supportGate\S*: must be at most 2 years ahead/);

    const bad = await cli.plyr(['upload', file, '--public-at', 'next tuesday'], { env: as(artist.token) });
    expectOneLineFailure(bad, /option '--public-at <iso>' argument 'next tuesday' is invalid\. must be an ISO 8601 date/);
  });

  cliTest('--title with several files is refused before anything is sent', async ({ artist, cli, as }) => {
    const upload = await cli.plyr(['upload', 'a.mp3', 'b.mp3', '--title', 'Both'], { env: as(artist.token) });
    expectOneLineFailure(upload, /^plyr: --title names one track/);
  });

  cliTest('through a real terminal, a progress bar per file reaches 100%', async ({ artist, cli, work, as }) => {
    const files = ['first.mp3', 'second.mp3'].map((name) => join(work, name));
    for (const file of files) await writeFile(file, mp3Bytes(512 * 1024));
    const upload = await cli.plyrInTerminal(['upload', ...files], { env: as(artist.token) });
    expect(upload.code).toBe(0);
    expect(upload.stdout).toMatch(/[█░]+ 100% \| first\.mp3 done/);
    expect(upload.stdout).toMatch(/[█░]+ 100% \| second\.mp3 done/);
    expect(upload.stdout).toContain('2 files: 2 uploaded, 0 failed');
  });
});

describe('plyr tracks, gate, delete', () => {
  cliTest('tracks --json lists every track with the viewer-resolved gate; --mine only the artist’s', async ({ artist, listener, cli, as, trackId }) => {
    const all = await cli.plyr(['tracks', '--json'], { env: as(listener.token) });
    expect(all.code).toBe(0);
    const tracks = JSON.parse(all.stdout) as Array<{ id: string; title: string; gated: boolean }>;
    expect(tracks.find((t) => t.id === trackId)).toMatchObject({ title: 'Switchable', gated: false });
    expect(tracks.find((t) => t.title === 'For Supporters')).toMatchObject({ gated: true });

    const mine = await cli.plyr(['tracks', '--mine', '--json'], { env: as(listener.token) });
    expect(JSON.parse(mine.stdout)).toEqual([]);
    const table = await cli.plyr(['tracks', '--mine'], { env: as(artist.token) });
    expect(table.stdout).toMatch(new RegExp(`^ID\\s+TITLE\\s+ARTIST\\s+ACCESS\\s+YOU CAN PLAY\\n`));
    expect(table.stdout).toMatch(new RegExp(`${trackId}\\s+Switchable\\s+${artist.handle.replaceAll('.', '\\.')}\\s+public\\s+yes`));
  });

  cliTest('gate on, then off: the track follows, and a listener sees it gated then public', async ({ artist, listener, cli, as, trackId }) => {
    const on = await cli.plyr(['gate', trackId, 'on'], { env: as(artist.token) });
    expect(on.stdout).toBe('"Switchable" is now for supporters only\n');
    expect((await listener.client.tracks.byId.query({ id: trackId })).gated).toBe(true);
    const off = await cli.plyr(['gate', trackId, 'off', '--json'], { env: as(artist.token) });
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout)).toMatchObject({ id: trackId, supportGate: null });
    expect((await listener.client.tracks.byId.query({ id: trackId })).gated).toBe(false);
  });

  cliTest('gate on --public-at: supporters only until then; off with --public-at never leaves the CLI', async ({ artist, listener, cli, as, trackId }) => {
    const early = await cli.plyr(['gate', trackId, 'on', '--public-at', new Date(Date.now() + 86_400_000).toISOString(), '--json'], {
      env: as(artist.token),
    });
    expect(early.code).toBe(0);
    expect(JSON.parse(early.stdout)).toMatchObject({ id: trackId, supportGate: { type: 'any' } });
    expect((await listener.client.tracks.byId.query({ id: trackId })).gated).toBe(true);
    expectOneLineFailure(await cli.plyr(['gate', trackId, 'off', '--public-at', '2031-05-01'], { env: as(artist.token) }), /goes with `on`/);
    expectOneLineFailure(await cli.plyr(['gate', trackId, 'maybe'], { env: as(artist.token) }), /Allowed choices are on, off/);
  });

  cliTest('someone else’s track: the API’s refusal in one line', async ({ listener, cli, as, trackId }) => {
    expectOneLineFailure(await cli.plyr(['gate', trackId, 'on'], { env: as(listener.token) }), /^plyr: not allowed: /);
  });

  cliTest('delete without --yes and without a terminal refuses and keeps the track; with --yes it is gone', async ({ artist, cli, as, trackId }) => {
    const refused = await cli.plyr(['delete', trackId], { env: as(artist.token) });
    expectOneLineFailure(refused, /^plyr: refusing without confirmation: stdin is not a terminal; pass --yes\n$/);
    expect((await artist.client.tracks.byId.query({ id: trackId })).title).toBe('Switchable');

    const deleted = await cli.plyr(['delete', trackId, '--yes'], { env: as(artist.token) });
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`deleted "Switchable" (${trackId})\n`);
    await expect(artist.client.tracks.byId.query({ id: trackId })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    expectOneLineFailure(await cli.plyr(['delete', trackId, '--yes'], { env: as(artist.token) }), /^plyr: not found: No such track\n$/);
  });
});

describe('plyr download-liked', () => {
  cliTest('saves what the viewer may play, says why the gated one is skipped, and a second run fetches nothing again', async ({ artist, listener, cli, work, as }) => {
    const openBytes = mp3Bytes(40 * 1024);
    const open = await artist.client.uploadTrack(new Blob([openBytes]), { title: 'Liked Open', filename: 'liked-open.mp3' });
    const closed = await artist.client.uploadTrack(new Blob([mp3Bytes(8 * 1024)]), {
      title: 'Liked Closed',
      filename: 'liked-closed.mp3',
      supportGate: { type: 'any' },
    });
    const viewer = listener;
    for (const id of [open.id, closed.id]) await viewer.client.tracks.like.mutate({ id });
    const dir = join(work, 'liked');

    const first = await cli.plyr(['download-liked', dir], { env: as(viewer.token) });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^skipped {2}Liked Closed: supporters only, and you do not support the artist$/m);
    expect(first.stdout).toMatch(/^saved {3}.*Liked Open.*\.mp3$/m);
    expect(first.stdout).toMatch(/1 saved, 0 already there, 1 skipped, 0 failed\n$/);
    const [saved] = await readdir(dir);
    expect(saved).toMatch(/Liked Open/);
    expect(sameBytes(await readFile(join(dir, saved!)), openBytes)).toBe(true);
    const before = await stat(join(dir, saved!));

    const second = await cli.plyr(['download-liked', dir, '--json'], { env: as(viewer.token) });
    expect(second.code).toBe(0);
    const lines = JSON.parse(second.stdout) as Array<{ status: string; title: string; file?: string }>;
    expect(lines.map((l) => `${l.title}:${l.status}`).sort()).toEqual(['Liked Closed:skipped', 'Liked Open:kept']);
    const after = await stat(join(dir, saved!));
    // The same file, never rewritten: a new download would have been renamed into place (new inode).
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(await readdir(dir)).toEqual([saved]);
  });
});

describe('plyr tokens', () => {
  cliTest('a session token creates, lists and revokes developer tokens; the revoked token is then dead, in one line', async ({ fan, cli, as }) => {
    const session = as(fan.sessionCookie);
    const created = await cli.plyr(['tokens', 'create', 'release script', '--days', '7'], { env: session });
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^plyr_dev_\S+$/);
    expect(created.stderr).toMatch(/it is shown only now/);

    const listed = await cli.plyr(['tokens', 'list', '--json'], { env: session });
    const tokens = JSON.parse(listed.stdout) as Array<{ id: string; name: string }>;
    const mine = tokens.find((t) => t.name === 'release script');
    expect(mine).toBeDefined();
    const table = await cli.plyr(['tokens', 'list'], { env: session });
    expect(table.stdout).toMatch(new RegExp(`^${mine!.id}\\s+release script\\s+\\S+\\s+\\S+$`, 'm'));

    expect((await cli.plyr(['whoami'], { env: as(token) })).code).toBe(0);
    const revoked = await cli.plyr(['tokens', 'revoke', mine!.id], { env: session });
    expect(revoked.stdout).toBe(`revoked ${mine!.id}\n`);
    expectOneLineFailure(await cli.plyr(['whoami'], { env: as(token) }), /^plyr: not signed in \(run `plyr login`\): The bearer token is unknown, expired or revoked\n$/);
  });

  cliTest('a developer token cannot mint another: the API’s reason in one line', async ({ fan, cli, as }) => {
    const refused = await cli.plyr(['tokens', 'create', 'x'], { env: as(fan.token) });
    expectOneLineFailure(refused, /^plyr: not allowed: developer tokens cannot create developer tokens; sign in\n$/);
  });
});

describe('failures a user meets', () => {
  cliTest('the API is down: one line naming it, non-zero exit', async ({ fan, cli }) => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const down = await cli.plyr(['tracks'], { env: { PLYR_API_URL: url, PLYR_TOKEN: fan.token } });
    expectOneLineFailure(down, new RegExp(`^plyr: cannot reach the API at ${url.replaceAll('.', '\\.')}: .*ECONNREFUSED`));
  });

  cliTest('an upload while the API is down fails per file, each with the reason', async ({ fan, cli, work }) => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const file = join(work, 'offline.mp3');
    await writeFile(file, mp3Bytes(4 * 1024));
    const upload = await cli.plyr(['upload', file], { env: { PLYR_API_URL: url, PLYR_TOKEN: fan.token } });
    expect(upload.code).toBe(1);
    expect(upload.stdout).toMatch(/failed\s+cannot reach the API at .*ECONNREFUSED/);
  });

  cliTest('every command and subcommand has --help', async ({ cli }) => {
    const commands = [[], ['login'], ['whoami'], ['logout'], ['upload'], ['tracks'], ['gate'], ['delete'], ['download-liked'], ['tokens']];
    commands.push(['tokens', 'create'], ['tokens', 'list'], ['tokens', 'revoke']);
    for (const command of commands) {
      const help = await cli.plyr([...command, '--help']);
      expect(help.code, command.join(' ')).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: plyr ${command.join(' ')}`.trimEnd()));
    }
  });
});
