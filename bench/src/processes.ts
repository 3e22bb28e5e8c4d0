import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const TSX = import.meta.resolve('tsx');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
/** USER_HZ, 100 on every Linux build this runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export class ServerStartError extends Error {
  override name = 'ServerStartError';
}

export interface ServerSpec {
  /** Names the log file and the CPU profile. */
  name: string;
  /** A TypeScript entry (run with `node --import tsx`) or a compiled one (`.mjs`, run with `node`). */
  entry: string;
  cwd: string;
  env: Record<string, string>;
  port: number;
  /** Polled until it answers with any status. */
  readyPath: string;
  logDir: string;
  /** Write a V8 CPU profile here when the process exits. */
  cpuProfileDir?: string;
}

export interface ServerProcess {
  url: string;
  pid: number;
  logFile: string;
  /** Resident set size now, from /proc. */
  rssMb(): number;
  /** CPU time (user + system) used so far, from /proc. */
  cpuSeconds(): number;
  /** SIGTERM, then waits for exit (the API shuts down gracefully and writes its profile). */
  stop(): Promise<void>;
}

/** Every server process started and not yet exited, so an interrupted run can stop them. */
const live = new Set<ChildProcess>();

/** Stops whatever servers are still running (an interrupted run); they exit without waiting for requests. */
export function killAllServers(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** A server under test in a process of its own, so it never shares an event loop with the load generator. */
export async function startServer(spec: ServerSpec): Promise<ServerProcess> {
  const logFile = join(spec.logDir, `${spec.name}.log`);
  const log = openSync(logFile, 'a');
  const profiling = spec.cpuProfileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${spec.cpuProfileDir}`, `--cpu-prof-name=${spec.name}.cpuprofile`]
    : [];
  const loader = spec.entry.endsWith('.ts') ? ['--import', TSX] : [];
  const child = spawn(process.execPath, [...profiling, ...loader, spec.entry], {
    cwd: spec.cwd,
    // Only what the spec gives, plus PATH: the API reads its whole configuration from the environment.
    env: { PATH: process.env.PATH ?? '', ...spec.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  live.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${spec.port}`;
  await waitUntilReady(child, exited, `${url}${spec.readyPath}`, spec.name, logFile);
  return {
    url,
    pid: child.pid!,
    logFile,
    rssMb: () => rssMb(child.pid!),
    cpuSeconds: () => cpuSeconds(child.pid!),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitUntilReady(child: ChildProcess, exited: Promise<number | null>, url: string, name: string, logFile: string) {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone) throw new ServerStartError(`${name} exited at start (code ${child.exitCode}):\n${tail(logFile)}`);
    try {
      await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await sleep(100);
    }
  }
  child.kill('SIGKILL');
  throw new ServerStartError(`${name} did not answer ${url} within ${READY_TIMEOUT_MS / 1000} s:\n${tail(logFile)}`);
}

function tail(file: string): string {
  return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  return Math.round((kb / 1024) * 10) / 10;
}

/** utime + stime (fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}
