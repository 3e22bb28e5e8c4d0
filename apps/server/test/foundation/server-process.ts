import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverEntry } from '../support/server-build.js';

export interface ServerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** stdout and stderr interleaved. */
  output: () => string;
  stderr: () => string;
}

/** `pnpm start` as its own process: the compiled entry point, with only PATH and `env` set. */
export function startServer(env: Record<string, string>): ServerProcess {
  let output = '';
  let stderr = '';
  const child = spawn(process.execPath, [serverEntry('main')], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => {
    output += d;
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output, stderr: () => stderr };
}

export async function waitForHealth(url: string, timeoutMs = 20_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      if ((await fetch(`${url}/health`)).status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no /health 200 within ${timeoutMs} ms`);
}

const dirs: string[] = [];

/** A directory the embedded PostgreSQL's system user can enter (it runs as `postgres` when we are root). */
export function tempDir(mode = 0o755): string {
  const dir = mkdtempSync(join(tmpdir(), 'plyr-proc-'));
  chmodSync(dir, mode);
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
