import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@plyr/testing';
import { removeTempDirs, startServer, tempDir, waitForHealth, type ServerProcess } from '../foundation/server-process.js';

/**
 * `pnpm start` on a machine that is in its way: each case ends in one line on stderr saying what is
 * wrong and what to do, and a non-zero exit, never a stack trace; or, where plyr can fix it without
 * widening access, it fixes it and starts.
 */

const asRoot = process.getuid?.() === 0;
/** Per server start: a cold start with embedded services takes over 30 s on a loaded 2-core machine. */
const START_MS = 120_000;
const mounts: string[] = [];

afterAll(() => {
  for (const dir of mounts) execFileSync('umount', [dir]);
  removeTempDirs();
});

/** A tmpfs of its own: the way to get a read-only or a full disk here; null where mounting is not allowed (a container without CAP_SYS_ADMIN). */
function mountTmpfs(options: string): string | null {
  const dir = tempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  mounts.push(dir);
  return dir;
}

/** Runs the server expecting it to refuse: its exit code and its stderr. */
async function refusal(env: Record<string, string>): Promise<{ code: number | null; stderr: string; output: string }> {
  const server = startServer({ PORT: String(await freePort()), SHUTDOWN_DRAIN_SECONDS: '0', ...env });
  try {
    const code = await server.exited;
    return { code, stderr: server.stderr(), output: server.output() };
  } finally {
    server.child.kill('SIGKILL');
  }
}

function expectOneLine(answer: { code: number | null; stderr: string; output: string }, pattern: RegExp): void {
  expect(answer.code, answer.output).toBe(1);
  expect(answer.stderr.trimEnd().split('\n'), answer.output).toHaveLength(1);
  expect(answer.stderr).toMatch(pattern);
  expect(answer.output).not.toMatch(/^\s+at /m);
}

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
}

describe.runIf(asRoot)('started as root', () => {
  it('a DATA_DIR of mode 0700 (mktemp -d) is opened to the postgres group alone, and the server starts', { timeout: START_MS }, async () => {
    const dataDir = tempDir(0o700);
    const port = await freePort();
    const server = startServer({ PORT: String(port), DATA_DIR: dataDir, SHUTDOWN_DRAIN_SECONDS: '0' });
    try {
      await waitForHealth(`http://127.0.0.1:${port}`, 90_000);
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
      const postgresGid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      const stat = statSync(dataDir);
      expect(stat.gid).toBe(postgresGid);
      // Search only, for that group only: nobody may list it, others may not even enter.
      expect((stat.mode & 0o777).toString(8)).toBe('710');
      expect(server.output()).toMatch(/group postgres may now enter/);
      await stop(server);
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('a DATA_DIR below a directory the postgres user cannot enter: one line naming that directory', { timeout: START_MS }, async () => {
    const closed = tempDir(0o700);
    const answer = await refusal({ DATA_DIR: join(closed, 'data') });
    expectOneLine(answer, new RegExp(`^cannot start: the embedded PostgreSQL runs as user postgres .*cannot enter ${closed} \\(mode 0700`));
    // The operator's directory is left as it was.
    expect(statSync(closed).mode & 0o777).toBe(0o700);
  });

  it('a DATA_DIR on a read-only disk: one line, whether DATA_DIR exists there or not', { timeout: 2 * START_MS }, async ({ skip }) => {
    const readOnly = mountTmpfs('ro,size=1m');
    if (!readOnly) return skip('this machine does not allow mounting a tmpfs');
    for (const dataDir of [readOnly, join(readOnly, 'data')]) {
      expectOneLine(await refusal({ DATA_DIR: dataDir }), new RegExp(`^cannot start: DATA_DIR ${dataDir} is on a read-only file system; set DATA_DIR`));
    }
  });

  it('a DATA_DIR on a full disk: one line saying so', { timeout: START_MS }, async ({ skip }) => {
    const full = mountTmpfs('size=1m');
    if (!full) return skip('this machine does not allow mounting a tmpfs');
    expectOneLine(await refusal({ DATA_DIR: full }), /^cannot start: the embedded PostgreSQL in .* could not initialise: .*No space left on device.*; free space on that disk/);
  });
});

describe('ports and a shared DATA_DIR', () => {
  it('PORT already taken: one line naming it, and the embedded parts it had started are stopped', { timeout: START_MS }, async () => {
    const dataDir = tempDir();
    const taken: Server = createServer();
    const port = await new Promise<number>((resolve) => taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port)));
    try {
      const server = startServer({ PORT: String(port), DATA_DIR: dataDir, SHUTDOWN_DRAIN_SECONDS: '0' });
      const code = await server.exited;
      expectOneLine({ code, stderr: server.stderr(), output: server.output() }, new RegExp(`^cannot start: PORT ${port}: 127\\.0\\.0\\.1:${port} is already in use by another process; stop it or set PORT`));
      // It got as far as the embedded PostgreSQL, and stopped it and its DATA_DIR lock on the way out.
      expect(existsSync(join(dataDir, 'postgres', 'cluster', 'PG_VERSION'))).toBe(true);
      expect(existsSync(join(dataDir, 'postgres', 'cluster', 'postmaster.pid'))).toBe(false);
      expect(existsSync(join(dataDir, 'plyr.lock'))).toBe(false);
    } finally {
      taken.close();
    }
  });

  it('a second start on the same DATA_DIR is refused in one line and the first keeps serving; ports the embedded parts used are replaced when taken', { timeout: 3 * START_MS }, async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = startServer({ PORT: String(port), DATA_DIR: dataDir, SHUTDOWN_DRAIN_SECONDS: '0' });
    let dbPort: number;
    try {
      await waitForHealth(url, 90_000);
      dbPort = Number(readFileSync(join(dataDir, 'postgres', 'port'), 'utf8'));
      const sql = postgres(`postgres://plyr:plyr@127.0.0.1:${dbPort}/plyr`, { max: 1 });
      await sql`insert into users (did, handle) values ('did:plc:first', 'first.test')`;
      await sql.end();

      expectOneLine(await refusal({ DATA_DIR: dataDir }), new RegExp(`^cannot start: DATA_DIR ${dataDir} is in use by another plyr process .*; stop that process or set another DATA_DIR`));
      expect((await fetch(`${url}/ready`)).status).toBe(200);
      await stop(first);
    } finally {
      first.child.kill('SIGKILL');
    }

    // Something else now holds the embedded PostgreSQL's port and the embedded S3 server's usual one.
    const holders = await Promise.all([dbPort, 4569].map((p) => occupy(p)));
    const again = startServer({ PORT: String(port), DATA_DIR: dataDir, SHUTDOWN_DRAIN_SECONDS: '0' });
    try {
      await waitForHealth(url, 90_000);
      expect((await fetch(`${url}/ready`)).status).toBe(200);
      const newDbPort = Number(readFileSync(join(dataDir, 'postgres', 'port'), 'utf8'));
      expect(newDbPort).not.toBe(dbPort);
      expect(again.output()).not.toMatch(/embedded S3 server at http:\/\/127\.0\.0\.1:4569"/);
      const sql = postgres(`postgres://plyr:plyr@127.0.0.1:${newDbPort}/plyr`, { max: 1 });
      expect(await sql`select handle from users where did = 'did:plc:first'`).toEqual([{ handle: 'first.test' }]);
      await sql.end();
      await stop(again);
    } finally {
      again.child.kill('SIGKILL');
      for (const holder of holders) holder?.close();
    }
  });
});

/** Listens on `port` so nobody else can; null when something already does (it is taken either way). */
function occupy(port: number): Promise<Server | null> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
