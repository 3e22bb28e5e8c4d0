import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverEntry, type ServerEntry } from '../../support/server-build.js';

/** apps/server: where `tsx` and the workspace packages resolve from. */
const SERVER_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ChildHandle {
  process: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves with the first stdout line matching `pattern`; rejects on exit or after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

/** Runs one of the server's entry points, compiled as `pnpm start` runs it, with `env` on top of ours. */
export function spawnServer(entry: ServerEntry, env: Record<string, string>): ChildHandle {
  return spawnNode([serverEntry(entry)], env);
}

/** Runs a TypeScript file of the tests as its own Node process (tsx), with `env` on top of ours. */
export function spawnTs(file: string, env: Record<string, string>): ChildHandle {
  return spawnNode(['--import', 'tsx', file], env);
}

function spawnNode(args: string[], env: Record<string, string>): ChildHandle {
  const child = spawn(process.execPath, args, {
    cwd: SERVER_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
    for (const wake of waiters) wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    process: child,
    lines,
    waitForLine(pattern, timeoutMs = 60_000) {
      return new Promise((resolveLine, reject) => {
        const check = () => {
          const found = lines.find((l) => pattern.test(l));
          if (found === undefined) return false;
          cleanup();
          resolveLine(found);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}; stderr: ${stderr}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export const supportFile = (name: string) => resolve(dirname(fileURLToPath(import.meta.url)), name);
